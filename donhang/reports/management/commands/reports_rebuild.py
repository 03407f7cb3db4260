from django.core.management.base import BaseCommand

from donhang.reports.refresh import figures_rebuild, figures_refresh


class Command(BaseCommand):
    help = (
        "Compute the reports' daily figures again from every order, stock movement and parcel "
        "(after an import or a restore); --refresh only brings them up to date."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--refresh", action="store_true", help="Only what changed since the last run."
        )

    def handle(self, *args, refresh=False, **options):
        if refresh:
            result = figures_refresh()
        else:
            result = figures_rebuild(progress=lambda text: self.stdout.write(f"  {text}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{'rebuilt' if result.rebuilt else 'refreshed'}: {len(result.days)} "
                f"{'months' if result.rebuilt else 'days'}, {result.shipments} parcels, "
                f"{result.milliseconds} ms"
            )
        )
