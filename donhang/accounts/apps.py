from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    # post_migrate is sent once per app, and each app's permissions are created on its own
    # turn; rebuild the role groups on the last app's turn, when every permission exists.
    with_models = [a for a in apps.get_app_configs() if a.models_module is not None]
    if sender.label != with_models[-1].label:
        return
    from donhang.accounts.services import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    name = "donhang.accounts"
    label = "accounts"

    def ready(self):
        post_migrate.connect(_sync_roles, dispatch_uid="donhang_roles_sync")
