"""Roles are groups with permissions. This table is the one place that says who may do what."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    SALES = "sales", _("Sales")
    WAREHOUSE = "warehouse", _("Warehouse")
    ACCOUNTANT = "accountant", _("Accountant")


# "app_label.codename" permissions per role. Apps add their custom permissions in Meta and list
# them here. Staff and API-key management is owner-only.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OWNER: ["*"],
    Role.MANAGER: [
        "catalog.view_product",
        "catalog.add_product",
        "catalog.change_product",
        "catalog.delete_product",
        "catalog.change_price",
        "catalog.view_cost",
        "catalog.import_product",
        "catalog.view_category",
        "catalog.add_category",
        "catalog.change_category",
        "catalog.delete_category",
        "catalog.view_brand",
        "catalog.add_brand",
        "catalog.change_brand",
        "catalog.delete_brand",
        "inventory.view_warehouse",
        "inventory.add_warehouse",
        "inventory.change_warehouse",
        "inventory.view_stocklevel",
        "inventory.view_stockmovement",
        "inventory.add_stockmovement",
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        "orders.confirm_order",
        "orders.cancel_order",
        "orders.fulfil_order",
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.merge_customer",
    ],
    Role.SALES: [
        "catalog.view_product",
        "catalog.view_category",
        "catalog.view_brand",
        "inventory.view_warehouse",
        "inventory.view_stocklevel",
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        "orders.confirm_order",
        "orders.cancel_order",
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
    ],
    Role.WAREHOUSE: [
        "catalog.view_product",
        "catalog.change_product",
        "catalog.view_category",
        "catalog.view_brand",
        "inventory.view_warehouse",
        "inventory.view_stocklevel",
        "inventory.view_stockmovement",
        "orders.view_order",
        "orders.fulfil_order",
    ],
    Role.ACCOUNTANT: [
        "catalog.view_product",
        "catalog.view_cost",
        "catalog.view_category",
        "catalog.view_brand",
        "inventory.view_warehouse",
        "inventory.view_stocklevel",
        "inventory.view_stockmovement",
        "orders.view_order",
        "customers.view_customer",
    ],
}
