from django.core.management.base import BaseCommand, CommandError

from donhang.inventory.services import stock_levels_rebuild
from donhang.orders.ledger import orders_ledger_problems
from donhang.orders.services import order_lines_reserved_rebuild


class Command(BaseCommand):
    help = (
        "Recompute stock levels from the ledger (movements and reservations) and report any "
        "drift, then check the ledger against the orders (reservations on open orders only, one "
        "sale per handed-over line, returned parcels received back). With --check nothing is "
        "changed and any drift exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Report only; change nothing.")

    def handle(self, *args, check=False, **options):
        drifts = stock_levels_rebuild(fix=not check)
        line_drifts = order_lines_reserved_rebuild(fix=not check)
        problems = orders_ledger_problems()
        for d in drifts:
            self.stdout.write(
                f"drift variant={d.variant_id} warehouse={d.warehouse_id} {d.field}: "
                f"cached {d.cached}, ledger {d.ledger}"
            )
        for line_id, cached, actual in line_drifts:
            self.stdout.write(
                f"drift order line={line_id} reserved: cached {cached}, reservations {actual}"
            )
        for problem in problems:
            self.stdout.write(problem)
        fixed = len(drifts) + len(line_drifts)
        if fixed == 0 and not problems:
            self.stdout.write(
                self.style.SUCCESS("No drift: stock levels and orders match the ledger.")
            )
            return
        if check:
            raise CommandError(
                f"{fixed + len(problems)} drifted values found (run without --check to fix the "
                "stock levels; order problems need a person)."
            )
        if fixed:
            self.stdout.write(self.style.WARNING(f"{fixed} drifted values fixed."))
        if problems:
            raise CommandError(
                f"{len(problems)} problems between the orders and the ledger need a person."
            )
