from django.core.management.base import BaseCommand, CommandError

from donhang.core.backups import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back the database up while the shop works: SQLite through its online backup API "
        "(a consistent copy, checked), PostgreSQL through pg_dump --format=custom. Default file: "
        "var/backups/donhang-<date>-<time>.sqlite3 or .pgdump."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="Where to write the backup.")

    def handle(self, *args, path=None, **options):
        try:
            written = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written: {written}"))
