from django.core.management.base import BaseCommand, CommandError

from donhang.inventory.services import stock_levels_rebuild
from donhang.orders.services import order_lines_reserved_rebuild


class Command(BaseCommand):
    help = (
        "Recompute stock levels from the ledger (movements and reservations) and report any "
        "drift. With --check nothing is changed and drift exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Report only; change nothing.")

    def handle(self, *args, check=False, **options):
        drifts = stock_levels_rebuild(fix=not check)
        line_drifts = order_lines_reserved_rebuild(fix=not check)
        for d in drifts:
            self.stdout.write(
                f"drift variant={d.variant_id} warehouse={d.warehouse_id} {d.field}: "
                f"cached {d.cached}, ledger {d.ledger}"
            )
        for line_id, cached, actual in line_drifts:
            self.stdout.write(
                f"drift order line={line_id} reserved: cached {cached}, reservations {actual}"
            )
        total = len(drifts) + len(line_drifts)
        if total == 0:
            self.stdout.write(self.style.SUCCESS("No drift: stock levels match the ledger."))
            return
        if check:
            raise CommandError(f"{total} drifted values found (run without --check to fix).")
        self.stdout.write(self.style.WARNING(f"{total} drifted values fixed."))
