from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from donhang.accounts.roles import Role
from donhang.accounts.services import api_key_create
from donhang.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create a REST API key and print it once (only its hash is stored). "
        "Example: manage.py create_api_key Website --role sales"
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="What uses the key, e.g. Website")
        parser.add_argument(
            "--role",
            required=True,
            help=f"The key may do what this role may do: {', '.join(Role.values)}",
        )

    def handle(self, *args, name, role, **options):
        if role not in Role.values:
            raise CommandError(
                _("Unknown role “%(role)s”. Choose one of: %(roles)s.")
                % {"role": role, "roles": ", ".join(Role.values)}
            )
        try:
            api_key, raw_key = api_key_create(name=name, role=role)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        # The notice goes to stderr so that stdout is the key alone: `KEY=$(manage.py ...)`.
        self.stderr.write(
            _(
                "Created the API key “%(name)s” (role %(role)s, prefix %(prefix)s). "
                "It is shown only now; store it safely:"
            )
            % {"name": api_key.name, "role": role, "prefix": api_key.prefix}
        )
        self.stdout.write(raw_key)
