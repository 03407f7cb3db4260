from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "Create the demo shop: users for every role, warehouses, ~50 products. Safe to run again."
    )

    def handle(self, *args, **options):
        from donhang.accounts.demo import load_demo_users
        from donhang.catalog.demo import load_demo_catalog
        from donhang.chatbot.demo import load_demo_chatbot
        from donhang.inventory.demo import load_demo_warehouses
        from donhang.invoicing.demo import load_demo_invoicing
        from donhang.marketplaces.demo import load_demo_marketplaces
        from donhang.orders.demo import load_demo_orders
        from donhang.purchasing.demo import load_demo_suppliers
        from donhang.returns.demo import load_demo_returns
        from donhang.shipping.demo import load_demo_carriers

        with transaction.atomic():
            owner = load_demo_users()
            warehouses = load_demo_warehouses(actor=owner)
            load_demo_catalog(actor=owner, warehouses=warehouses)
            load_demo_suppliers(actor=owner, warehouse=warehouses[0])
            load_demo_carriers(actor=owner, pickup_warehouse=warehouses[0])
            load_demo_orders(actor=owner)
            load_demo_invoicing(actor=owner)
            load_demo_marketplaces(actor=owner, warehouse=warehouses[0])
            load_demo_returns(actor=owner)
            load_demo_chatbot(actor=owner)
        self.stdout.write(self.style.SUCCESS(_("Demo data is ready.")))
