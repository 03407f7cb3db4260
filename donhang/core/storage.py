"""Files that hold buyers' details (labels, invoice PDFs, photos of returned parcels) live outside
MEDIA_ROOT, which is served to anyone: each kind in a folder of its own, set by a setting
(default: beside MEDIA_ROOT under "private/"), and served only by the owning app's view to staff
who may see them."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateFileStorage(FileSystemStorage):
    """A FileSystemStorage without a URL whose folder is read from `setting` on every use (tests
    and deployments change it), defaulting to `default` below MEDIA_ROOT's parent."""

    def __init__(self, setting: str, default: str):
        self.setting = setting
        self.default = default
        super().__init__()

    @property
    def base_location(self):
        return str(
            getattr(settings, self.setting, None) or Path(settings.MEDIA_ROOT).parent / self.default
        )

    @property
    def location(self):
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self):
        return None
