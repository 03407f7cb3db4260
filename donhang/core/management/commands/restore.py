import sys

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from donhang.core.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` over the database (stop the web processes "
        "and workers first), or into another database with --to. Then the stock ledger is "
        "checked (stock_rebuild --check) on the live database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file.")
        parser.add_argument(
            "--to", default="", help="A database URL to restore into instead of the live one."
        )
        parser.add_argument(
            "--yes", action="store_true", help="Replace the live database without asking."
        )

    def handle(self, *args, path, to="", yes=False, **options):
        if not to and not yes:
            if not sys.stdin.isatty():
                raise CommandError("Replacing the live database needs --yes.")
            answer = input("This replaces the whole database. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing restored.")
        try:
            target = restore(path, to_url=to)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {path} into {target.engine} {target.name}"))
        if not to and "stock_rebuild" in get_commands():
            call_command("stock_rebuild", check=True, stdout=self.stdout, stderr=self.stderr)
