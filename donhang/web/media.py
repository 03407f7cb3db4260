"""Uploaded files, served so that none can run in our origin: the content type comes from a
short list of image types by extension (uploads are re-encoded and named by us), never from
sniffing; anything else is a download. Behind a real web server, let it serve MEDIA_ROOT with
the same headers instead."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils._os import safe_join
from django.views.decorators.http import require_GET

from donhang.core.uploads import MEDIA_TYPES


@require_GET
def serve_media(request, path: str):
    try:
        full = safe_join(str(settings.MEDIA_ROOT), path)
    except Exception as exc:  # SuspiciousFileOperation: a path outside MEDIA_ROOT
        raise Http404 from exc
    file_path = PurePosixPath(path)
    try:
        handle = open(full, "rb")  # noqa: SIM115  (FileResponse closes it)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        raise Http404 from exc
    extension = file_path.suffix.lower().lstrip(".")
    content_type = MEDIA_TYPES.get(extension)
    if content_type is None:
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=file_path.name,
            content_type="application/octet-stream",
        )
    else:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=86400"
    return response
