from django.core.management.base import BaseCommand, CommandError

from donhang.orders.counters import order_counters_drift, order_counters_rebuild


class Command(BaseCommand):
    help = (
        "Compare the order counters (the order list's tabs, the dashboard) with a full count of "
        "the orders and report any drift; --rebuild recomputes them. With --check any drift exits "
        "with status 1. Counting reads every order: run it off-peak on a big shop."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--check", action="store_true", help="Report only; change nothing.")
        group.add_argument("--rebuild", action="store_true", help="Recompute the counters.")

    def handle(self, *args, check=False, rebuild=False, **options):
        drift = order_counters_rebuild() if rebuild else order_counters_drift()
        for d in drift:
            self.stdout.write(
                f"drift channel={d.channel} shop={d.store_key or '-'} status={d.status} "
                f"step={d.sub_state or '-'}: counters {d.counted}, orders {d.actual}"
            )
        if not drift:
            self.stdout.write(self.style.SUCCESS("No drift: the counters match the orders."))
        elif rebuild:
            self.stdout.write(self.style.WARNING(f"{len(drift)} counters rebuilt."))
        elif check:
            raise CommandError(f"{len(drift)} counters drifted (run with --rebuild to fix them).")
