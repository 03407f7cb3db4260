"""Issue 9, "Permission matrix as a test": every route the project answers (pages from the URL
resolver, operations from the REST API), as anonymous, as each role's session and with each
role's API key, against the table below of who may do what. The table is README.md's "Roles"
section route by route; a route missing from it fails `test_every_route_is_in_the_table`.

A new route: add it to PAGES (by URL name) or API ("METHOD /api/v1/path") with who may use it,
and, if it takes arguments, say in `_page_kwargs` / `_api_path` which object they name.

How a request counts:
- refused: 401, 403, a redirect to a log-in page (ours or the admin's), or an error message that
  names the missing permission (a page that goes back with "Your role is not allowed…");
- let in: anything else below 500 (200, a redirect elsewhere, 404 for an object, 409, 422);
- a 5xx or a 405 (the table names a method the route does not have) always fails.
Pages are tried with GET and, for forms and actions, POST without a body (PAGE_BODIES for the few
that read the form before the role); API operations with a minimal body built from the OpenAPI
schema (a body ninja refuses with 422 would never reach the role check; API_BODIES where the body
must name real objects). Every request runs in a transaction that is rolled back, so allowed
actions (cancel, revoke, deactivate) change nothing for the next one.

MATRIX_DUMP=<folder> writes what every caller got on every route (routes missing from the table
included), to write a new app's rows from.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from http.cookies import SimpleCookie
from io import BytesIO
from urllib.parse import urlencode

import httpx
import pytest
from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from donhang.accounts.services import api_key_create, shop_profile_update, user_create
from donhang.api.router import api
from donhang.catalog import services as catalog
from donhang.chatbot import services as chatbot
from donhang.core.integrations import register_transport
from donhang.customers import services as customers
from donhang.customers.models import Ward
from donhang.inventory import services as inventory
from donhang.inventory.stocktakes import stocktake_create
from donhang.inventory.transfers import TransferLineInput, transfer_create
from donhang.invoicing import services as invoicing
from donhang.marketplaces.models import Listing, MarketplaceOrder, ShopConnection
from donhang.orders import services as orders
from donhang.purchasing import services as purchasing
from donhang.returns import services as returns
from donhang.shipping import services as shipping
from donhang.shipping.services.cod import PayoutLineInput, cod_payout_record
from donhang.shipping.services.labels import label_batch_create, label_batch_finish
from emulators.common import Clock, FaultyTransport
from emulators.ghn import GhnEmulator
from emulators.sinvoice import SInvoiceEmulator

ROLES = ("owner", "manager", "sales", "warehouse", "accountant")

# --- who: sets of roles ------------------------------------------------------------------------

PUBLIC = "public"  # anyone, logged in or not
NOBODY = frozenset()  # no role (the Django admin: superusers only)
ALL = frozenset(ROLES)  # every logged-in role
OWNER = frozenset({"owner"})
MANAGEMENT = frozenset({"owner", "manager"})
MONEY = frozenset({"owner", "manager", "accountant"})  # costs, payments, COD, revenue


def but(*roles: str) -> frozenset:
    return ALL - set(roles)


OMS = frozenset({"owner", "manager", "sales"})  # orders and customers
OMW = frozenset({"owner", "manager", "warehouse"})  # stock moves, packing, shipping
NOT_SALES = but("sales")  # warehouses' paperwork: transfers, counts, suppliers, purchase orders
NOT_WAREHOUSE = but("warehouse")  # customers' details, e-invoices
OWNER_ACCOUNTANT = frozenset({"owner", "accountant"})  # e-invoice templates and the automatic rule

# Who may GET / POST each page, by URL name. Only the methods listed are tried. README.md's
# "Roles" says the same in words.
PAGES: dict[str, dict[str, frozenset | str]] = {
    "set_language": {"POST": PUBLIC},
    "^media/(?P<path>.*)$": {"GET": PUBLIC},  # product images and the logo, as images only
    "admin_login": {"GET": NOBODY, "POST": NOBODY},  # sends to our log-in; 403 without admin
    "admin:logout": {"GET": PUBLIC},  # the rest of the Django admin: superusers only
    # accounts
    "accounts:login": {"GET": PUBLIC, "POST": PUBLIC},
    "accounts:logout": {"POST": PUBLIC},
    "accounts:password_change": {"GET": ALL, "POST": ALL},
    "accounts:password_change_done": {"GET": ALL},
    "accounts:shop_profile": {"GET": OWNER, "POST": OWNER},
    "accounts:staff_list": {"GET": OWNER},
    "accounts:staff_create": {"GET": OWNER, "POST": OWNER},
    "accounts:staff_set_role": {"POST": OWNER},
    "accounts:staff_set_active": {"POST": OWNER},
    "accounts:staff_password_reset": {"GET": OWNER, "POST": OWNER},
    "accounts:api_key_list": {"GET": OWNER},
    "accounts:api_key_create": {"GET": OWNER, "POST": OWNER},
    "accounts:api_key_created": {"GET": OWNER},
    "accounts:api_key_revoke": {"POST": OWNER},
    "accounts:audit_log": {"GET": OWNER},  # who did what; .xlsx export with ?format=xlsx
    # the API's documentation
    "api:openapi-view": {"GET": ALL},
    "api:openapi-json": {"GET": ALL},  # and any API key
    "api:api-root": {"GET": PUBLIC},  # answers 404
    # catalog: everyone reads it (cost only with catalog.view_cost); owner and manager change it
    "catalog:product_list": {"GET": ALL},
    "catalog:product_create": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:product_matrix_preview": {"GET": MANAGEMENT},
    "catalog:product_bulk": {"POST": ALL},  # export for all; changing products is refused inside
    "catalog:product_export": {"GET": ALL},
    "catalog:product_import": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:product_import_template": {"GET": MANAGEMENT},
    "catalog:product_detail": {"GET": ALL},
    "catalog:product_edit": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:product_variants_update": {"POST": MANAGEMENT},
    "catalog:product_image_upload": {"POST": MANAGEMENT},
    "catalog:product_image_delete": {"POST": MANAGEMENT},
    "catalog:product_image_move": {"POST": MANAGEMENT},
    "catalog:category_list": {"GET": ALL},
    "catalog:category_create": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:category_edit": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:category_delete": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:brand_list": {"GET": ALL},
    "catalog:brand_create": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:brand_edit": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:brand_delete": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "catalog:barcode_labels": {"GET": ALL},  # barcode labels PDF of chosen variants
    "catalog:barcodes_assign": {"POST": MANAGEMENT},  # barcodes for variants without one
    "catalog:variant_lookup": {"GET": ALL},  # a scanned code → the variant (scan modes)
    # customers
    "customers:customer_list": {"GET": NOT_WAREHOUSE},
    "customers:customer_create": {"GET": OMS, "POST": OMS},
    "customers:customer_detail": {"GET": NOT_WAREHOUSE},
    "customers:customer_edit": {"GET": OMS, "POST": OMS},
    "customers:customer_address_add": {"GET": OMS, "POST": OMS},
    "customers:customer_merge": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "customers:ward_options": {"GET": ALL},
    # inventory
    "inventory:warehouse_list": {"GET": ALL},
    "inventory:warehouse_create": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "inventory:warehouse_detail": {"GET": ALL},
    "inventory:warehouse_edit": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "inventory:warehouse_set_active": {"POST": MANAGEMENT},
    "inventory:variant_stock": {"GET": ALL, "POST": MANAGEMENT},  # POST: a stock adjustment
    "inventory:low_stock": {"GET": ALL},
    "inventory:channel_rules": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "inventory:transfer_list": {"GET": NOT_SALES},
    "inventory:transfer_create": {"GET": OMW, "POST": OMW},
    "inventory:transfer_variant_search": {"GET": OMW},
    "inventory:transfer_line_row": {"GET": OMW},
    "inventory:transfer_detail": {"GET": NOT_SALES},
    "inventory:transfer_send": {"POST": OMW},
    "inventory:transfer_receive": {"POST": OMW},
    "inventory:transfer_cancel": {"POST": OMW},
    "inventory:stocktake_list": {"GET": NOT_SALES},
    "inventory:stocktake_create": {"GET": OMW, "POST": OMW},
    "inventory:stocktake_sheet": {"GET": NOT_SALES, "POST": OMW},
    "inventory:stocktake_count_line": {"POST": OMW},
    "inventory:stocktake_import": {"GET": OMW, "POST": OMW},
    "inventory:stocktake_scan": {"POST": OMW},  # scan mode: one scan counts one
    "inventory:stocktake_review": {"GET": NOT_SALES},
    "inventory:stocktake_post": {"POST": MANAGEMENT},
    "inventory:stocktake_cancel": {"POST": OMW},
    "inventory:stocktake_print": {"GET": NOT_SALES},
    "inventory:inventory_value": {"GET": MONEY},
    "inventory:inventory_value_export": {"GET": MONEY},
    # orders
    "orders:order_list": {"GET": ALL},
    "orders:order_bulk": {"POST": ALL},  # confirm / cancel / ship are refused inside per role
    "orders:order_create": {"GET": OMS, "POST": OMS},
    "orders:picking_list": {"GET": ALL, "POST": ALL},
    "orders:variant_search": {"GET": ALL},
    "orders:line_row": {"GET": ALL},
    "orders:totals_preview": {"POST": ALL},
    "orders:customer_lookup": {"GET": OMS},
    "orders:find": {"GET": ALL},  # the top bar's search box (order, tracking number, phone)
    "orders:order_detail": {"GET": ALL},
    "orders:order_confirm": {"POST": OMS},
    "orders:order_mark_packed": {"POST": OMW},
    "orders:order_hand_over": {"POST": OMW},
    "orders:order_mark_delivery_failed": {"POST": OMW},
    "orders:order_complete": {"POST": OMW},
    "orders:order_return": {"POST": OMW},
    "orders:order_cancel": {"POST": OMS},
    "orders:order_add_note": {"POST": but("accountant")},
    "orders:order_edit_lines": {"GET": OMS, "POST": OMS},
    "orders:order_edit": {"GET": OMS, "POST": OMS},
    "orders:order_payment_add": {"POST": MONEY},
    # shipping
    "shipping:webhook": {"POST": NOBODY},  # only a carrier with the account's secret
    "shipping:public_tracking": {"GET": PUBLIC, "POST": PUBLIC},
    "shipping:shipment_list": {"GET": ALL},
    "shipping:shipment_create": {"GET": OMW, "POST": OMW},
    "shipping:bulk_create": {"POST": OMW},
    "shipping:bulk_progress": {"GET": ALL},
    "shipping:bulk_retry": {"POST": OMW},
    "shipping:labels_pdf": {"GET": ALL},
    "shipping:label_batch": {"GET": ALL},
    "shipping:label_batch_pdf": {"GET": ALL},
    "shipping:shipment_detail": {"GET": ALL},
    "shipping:shipment_retry": {"POST": OMW},
    "shipping:shipment_cancel": {"POST": OMW},
    "shipping:shipment_redeliver": {"POST": OMW},
    "shipping:shipment_return": {"POST": OMW},
    "shipping:shipment_carrier_label": {"GET": ALL},
    "shipping:cod": {"GET": MONEY},
    "shipping:payout_create": {"GET": MONEY, "POST": MONEY},
    "shipping:payout_import": {"GET": MONEY, "POST": MONEY},
    "shipping:payout_from_outstanding": {"POST": MONEY},  # ticked parcels → a payout
    "shipping:payout_detail": {"GET": MONEY},
    "shipping:carrier_account_list": {"GET": MANAGEMENT},
    "shipping:carrier_account_create": {"GET": OWNER, "POST": OWNER},
    "shipping:carrier_account_edit": {"GET": OWNER, "POST": OWNER},
    # purchasing
    "purchasing:index": {"GET": PUBLIC},  # a redirect to the supplier list, which needs log-in
    "purchasing:supplier_list": {"GET": NOT_SALES},
    "purchasing:supplier_create": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "purchasing:supplier_detail": {"GET": NOT_SALES},
    "purchasing:supplier_edit": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "purchasing:supplier_variants_update": {"POST": MANAGEMENT},
    "purchasing:supplier_variant_add": {"POST": MANAGEMENT},
    "purchasing:purchase_order_list": {"GET": NOT_SALES},
    "purchasing:purchase_order_create": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "purchasing:purchase_order_detail": {"GET": NOT_SALES},
    "purchasing:purchase_order_edit": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "purchasing:purchase_order_send": {"POST": MANAGEMENT},
    "purchasing:purchase_order_cancel": {"POST": MANAGEMENT},
    "purchasing:purchase_order_close": {"POST": MANAGEMENT},
    "purchasing:purchase_order_pdf": {"GET": NOT_SALES},
    "purchasing:receipt_create": {"GET": OMW, "POST": OMW},
    "purchasing:suggestions": {"GET": NOT_SALES, "POST": MANAGEMENT},
    "purchasing:receipt_list": {"GET": NOT_SALES},
    "purchasing:receipt_create_standalone": {"GET": OMW, "POST": OMW},
    "purchasing:receipt_detail": {"GET": NOT_SALES},
    "purchasing:receipt_labels": {"GET": NOT_SALES},  # barcode labels of a receipt's lines
    "purchasing:variant_search": {"GET": NOT_SALES},
    "purchasing:line_row": {"GET": NOT_SALES},
    # e-invoices: read by all but the warehouse; issued and corrected by the money roles
    "invoicing:invoice_list": {"GET": NOT_WAREHOUSE},
    "invoicing:invoice_export": {"GET": NOT_WAREHOUSE},
    "invoicing:invoice_detail": {"GET": NOT_WAREHOUSE},
    "invoicing:invoice_pdf": {"GET": NOT_WAREHOUSE},
    "invoicing:invoice_retry": {"POST": MONEY},
    "invoicing:invoice_submit_draft": {"POST": MONEY},
    "invoicing:invoice_discard": {"POST": MONEY},
    "invoicing:invoice_email": {"POST": MONEY},
    "invoicing:invoice_check": {"POST": MONEY},
    "invoicing:invoice_replace": {"GET": MONEY, "POST": MONEY},
    "invoicing:invoice_adjust": {"GET": MONEY, "POST": MONEY},
    "invoicing:order_issue": {"GET": MONEY, "POST": MONEY},
    "invoicing:order_preview_pdf": {"GET": NOT_WAREHOUSE},
    "invoicing:settings": {"GET": MONEY},
    "invoicing:account_create": {"GET": OWNER, "POST": OWNER},  # the provider's credentials
    "invoicing:account_edit": {"GET": OWNER, "POST": OWNER},
    "invoicing:template_create": {"GET": OWNER_ACCOUNTANT, "POST": OWNER_ACCOUNTANT},
    "invoicing:template_edit": {"GET": OWNER_ACCOUNTANT, "POST": OWNER_ACCOUNTANT},
    "invoicing:rule_edit": {"GET": OWNER_ACCOUNTANT, "POST": OWNER_ACCOUNTANT},
    # marketplace shops: seen by sales too; connected and synced by owner and manager
    "marketplaces:push": {"POST": NOBODY},  # only the platform, signed
    "marketplaces:oauth_callback": {"GET": MANAGEMENT},
    "marketplaces:connection_list": {"GET": OMS},
    "marketplaces:connection_create": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "marketplaces:connection_detail": {"GET": OMS},
    "marketplaces:connection_settings": {"POST": MANAGEMENT},
    "marketplaces:connection_pull": {"POST": MANAGEMENT},
    "marketplaces:connection_push_now": {"POST": MANAGEMENT},
    "marketplaces:connection_reauthorize": {"POST": MANAGEMENT},
    "marketplaces:connection_disconnect": {"POST": MANAGEMENT},
    "marketplaces:listing_list": {"GET": OMS},
    "marketplaces:product_publish": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "marketplaces:push_log": {"GET": OMS},
    "marketplaces:order_list": {"GET": OMS},
    "marketplaces:listing_link": {"POST": MANAGEMENT},
    "marketplaces:listing_create_product": {"POST": MANAGEMENT},
    "marketplaces:order_arrange": {"POST": OMW},
    "marketplaces:order_label": {"GET": ALL},
    "marketplaces:order_refresh": {"POST": MANAGEMENT},
    # reports: everyone sees orders and units; revenue, costs and margins only the money roles
    # (inside the pages); stock movements and purchases not sales; COD the money roles
    "reports:index": {"GET": ALL},
    "reports:sales": {"GET": ALL},
    "reports:inventory": {"GET": NOT_SALES},
    "reports:purchases": {"GET": NOT_SALES},
    "reports:returns": {"GET": ALL},
    "reports:cod": {"GET": MONEY},
    "reports:shipping": {"GET": ALL},
    "reports:settings": {"GET": OWNER, "POST": OWNER},  # the owners' daily summary email
    # returns: everyone reads them; sales open them (and exchanges), the warehouse receives and
    # inspects, the money roles refund and issue the e-invoice correction
    "returns:return_list": {"GET": ALL},
    "returns:return_reports": {"GET": ALL},
    "returns:return_create": {"GET": OMS, "POST": OMS},
    "returns:return_detail": {"GET": ALL},
    "returns:return_receive": {"POST": OMW},
    "returns:return_inspect": {"POST": OMW},
    "returns:return_refund": {"POST": MONEY},
    "returns:refund_mark_paid": {"POST": MONEY},
    "returns:refund_cancel": {"POST": MONEY},
    "returns:refund_qr": {"GET": ALL},
    "returns:return_exchange": {"POST": OMS},
    "returns:return_invoice": {"POST": MONEY},
    "returns:return_close": {"POST": OMS},
    "returns:return_cancel": {"POST": OMS},
    # chatbot: the inbox for those who talk to customers; the bot's settings for management;
    # channels (secrets) for the owner; webhooks and the widget are for the outside
    "chatbot:inbox": {"GET": OMS},
    "chatbot:conversation": {"GET": OMS},
    "chatbot:conversation_messages": {"GET": OMS},
    "chatbot:conversation_reply": {"POST": OMS},
    "chatbot:conversation_take_over": {"POST": OMS},
    "chatbot:conversation_hand_back": {"POST": OMS},
    "chatbot:conversation_close": {"POST": OMS},
    "chatbot:settings": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "chatbot:faq_create": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "chatbot:faq_edit": {"GET": MANAGEMENT, "POST": MANAGEMENT},
    "chatbot:faq_delete": {"POST": MANAGEMENT},
    "chatbot:connection_create": {"GET": OWNER, "POST": OWNER},
    "chatbot:connection_edit": {"GET": OWNER, "POST": OWNER},
    "chatbot:messenger_webhook": {"GET": NOBODY, "POST": NOBODY},
    "chatbot:zalo_webhook": {"POST": NOBODY},
    "chatbot:widget_session": {"POST": PUBLIC},
    "chatbot:widget_messages": {"GET": PUBLIC, "POST": PUBLIC},
    "chatbot:widget_demo": {"GET": PUBLIC},
    "chatbot:payment_qr": {"GET": PUBLIC},
    "returns:line_photo": {"GET": ALL},
    # the shell
    "web:dashboard": {"GET": ALL},
}

# Who may call each API operation, "METHOD /api/v1/path/{param}". The same for a role's session
# and its API key; anonymous callers are always refused.
API: dict[str, frozenset] = {
    "GET /api/v1/me": ALL,
    "GET /api/v1/shop": OWNER,
    "GET /api/v1/audit": OWNER,
    "PUT /api/v1/shop": OWNER,
    # catalog
    "GET /api/v1/products": ALL,
    "POST /api/v1/products": MANAGEMENT,
    "POST /api/v1/products/import": MANAGEMENT,
    "GET /api/v1/products/{product_id}": ALL,
    "PATCH /api/v1/products/{product_id}": MANAGEMENT,
    "GET /api/v1/variants": ALL,
    "GET /api/v1/variants/{variant_id}": ALL,
    "PATCH /api/v1/variants/{variant_id}": MANAGEMENT,
    "GET /api/v1/categories": ALL,
    "POST /api/v1/categories": MANAGEMENT,
    "GET /api/v1/brands": ALL,
    "POST /api/v1/brands": MANAGEMENT,
    # inventory
    "GET /api/v1/warehouses": ALL,
    "POST /api/v1/warehouses": MANAGEMENT,
    "GET /api/v1/warehouses/{code}": ALL,
    "PATCH /api/v1/warehouses/{code}": MANAGEMENT,
    "GET /api/v1/transfers": NOT_SALES,
    "POST /api/v1/transfers": OMW,
    "GET /api/v1/transfers/{code}": NOT_SALES,
    "POST /api/v1/transfers/{code}/send": OMW,
    "POST /api/v1/transfers/{code}/receive": OMW,
    "GET /api/v1/stocktakes": NOT_SALES,
    "POST /api/v1/stocktakes": OMW,
    "GET /api/v1/stocktakes/{code}": NOT_SALES,
    "POST /api/v1/stocktakes/{code}/counts": OMW,
    "POST /api/v1/stocktakes/{code}/post": MANAGEMENT,
    "GET /api/v1/stock": ALL,
    "POST /api/v1/stock/movements": MANAGEMENT,
    # customers
    "GET /api/v1/provinces": ALL,
    "GET /api/v1/provinces/{code}/wards": ALL,
    "GET /api/v1/customers": NOT_WAREHOUSE,
    "POST /api/v1/customers": OMS,
    "GET /api/v1/customers/{customer_id}": NOT_WAREHOUSE,
    # orders
    "POST /api/v1/orders": OMS,
    "GET /api/v1/orders": ALL,
    "GET /api/v1/orders/{code}": ALL,
    "PATCH /api/v1/orders/{code}": OMS,
    "POST /api/v1/orders/{code}/confirm": OMS,
    "POST /api/v1/orders/{code}/cancel": OMS,
    "POST /api/v1/orders/{code}/payments": MONEY,
    # purchasing
    "GET /api/v1/suppliers": NOT_SALES,
    "POST /api/v1/suppliers": MANAGEMENT,
    "GET /api/v1/suppliers/{supplier_id}": NOT_SALES,
    "PATCH /api/v1/suppliers/{supplier_id}": MANAGEMENT,
    "GET /api/v1/purchase-orders/suggestions": NOT_SALES,
    "GET /api/v1/purchase-orders": NOT_SALES,
    "POST /api/v1/purchase-orders": MANAGEMENT,
    "GET /api/v1/purchase-orders/{code}": NOT_SALES,
    "POST /api/v1/purchase-orders/{code}/send": MANAGEMENT,
    "POST /api/v1/purchase-orders/{code}/cancel": MANAGEMENT,
    "POST /api/v1/purchase-orders/{code}/close": MANAGEMENT,
    "POST /api/v1/purchase-orders/{code}/receipts": OMW,
    # shipping
    "GET /api/v1/orders/{code}/shipping-quotes": OMW,
    "POST /api/v1/orders/{code}/shipments": OMW,
    "GET /api/v1/shipments": ALL,
    "GET /api/v1/shipments/{shipment_id}": ALL,
    "POST /api/v1/shipments/{shipment_id}/cancel": OMW,
    "GET /api/v1/cod/outstanding": MONEY,
    "POST /api/v1/cod/payouts": MONEY,
    # e-invoices
    "GET /api/v1/orders/{code}/invoice-preview": NOT_WAREHOUSE,
    "POST /api/v1/orders/{code}/invoice": MONEY,
    "GET /api/v1/invoices": NOT_WAREHOUSE,
    "GET /api/v1/invoices/{invoice_id}": NOT_WAREHOUSE,
    # marketplace shops
    "GET /api/v1/marketplaces/connections": OMS,
    "GET /api/v1/marketplaces/connections/{connection_id}": OMS,
    "POST /api/v1/marketplaces/connections/{connection_id}/push-stock": MANAGEMENT,
    "POST /api/v1/marketplaces/connections/{connection_id}/pull-products": MANAGEMENT,
    # returns
    "POST /api/v1/orders/{code}/returns": OMS,
    "POST /api/v1/chatbot/messages": OMS,
    "GET /api/v1/chatbot/conversations": OMS,
    "GET /api/v1/chatbot/conversations/{conversation_id}": OMS,
    "GET /api/v1/returns": ALL,
    "GET /api/v1/returns/{return_id}": ALL,
    "POST /api/v1/returns/{return_id}/receive": OMW,
    "POST /api/v1/returns/{return_id}/inspect": OMW,
    "POST /api/v1/returns/{return_id}/refund": MONEY,
    # reports (revenue and margin fields only for the money roles)
    "GET /api/v1/reports/sales": ALL,
    "GET /api/v1/reports/dashboard": ALL,
    "GET /api/v1/reports/inventory": NOT_SALES,
    "GET /api/v1/reports/purchases": NOT_SALES,
    "GET /api/v1/reports/returns": ALL,
    "GET /api/v1/reports/cod": MONEY,
    "GET /api/v1/reports/shipping-fees": ALL,
}

# The API's own pages: the docs (staff) and the schema (staff or any API key).
API_DOCS = {"api:openapi-view", "api:openapi-json", "api:api-root"}

# --- principals -------------------------------------------------------------------------------

ANONYMOUS = "anonymous"


def session(role: str) -> str:
    return f"session:{role}"


def key(role: str) -> str:
    return f"key:{role}"


API_PRINCIPALS = [ANONYMOUS] + [session(r) for r in ROLES] + [key(r) for r in ROLES]
# Pages never look at API keys, so a key is an anonymous visitor there: the owner's key (which may
# do the most) stands for all of them. The Django admin looks at is_staff, not at roles: the
# owner's session stands for every role there.
PAGE_PRINCIPALS = [ANONYMOUS] + [session(r) for r in ROLES] + [key("owner")]
ADMIN_PRINCIPALS = [ANONYMOUS, session("owner"), key("owner")]


def _expected_pages(who, *, keys_too: bool = False) -> set[str]:
    if who == PUBLIC:
        return set(API_PRINCIPALS)
    allowed = {session(r) for r in who}
    if keys_too:
        allowed |= {key(r) for r in who}
    return allowed


def _expected_api(who) -> set[str]:
    return {session(r) for r in who} | {key(r) for r in who}


# --- the routes the project has -----------------------------------------------------------------


@dataclass(frozen=True)
class PageRoute:
    name: str  # "namespace:name", or the pattern for an unnamed one
    pattern: str
    kwargs: tuple[str, ...]


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield PageRoute(
                name=name or prefix + str(entry.pattern),
                pattern=prefix + str(entry.pattern),
                kwargs=tuple(entry.pattern.regex.groupindex),
            )


@functools.cache
def page_routes() -> list[PageRoute]:
    """Every URL pattern but the REST API's operations (those come from the API below)."""
    routes = {}
    for route in _walk(get_resolver().url_patterns):
        if route.pattern.startswith("api/v1/") and route.name not in API_DOCS:
            continue
        routes.setdefault(route.name, route)
    return sorted(routes.values(), key=lambda r: r.pattern)


@functools.cache
def api_schema() -> dict:
    return api.get_openapi_schema(path_prefix="/api/v1/")


@functools.cache
def api_operations() -> dict[str, dict]:
    """ "METHOD /api/v1/path" → its OpenAPI operation."""
    return {
        f"{method.upper()} {path}": operation
        for path, operations in api_schema()["paths"].items()
        for method, operation in operations.items()
    }


def is_admin(name: str) -> bool:
    return name.startswith(("admin:", "admin/"))


def test_every_route_is_in_the_table():
    missing_pages = [
        f"    {r.name!r}: {{...}},  # /{r.pattern}"
        for r in page_routes()
        if r.name not in PAGES and not is_admin(r.name)
    ]
    missing_api = [f"    {op!r}: ...," for op in api_operations() if op not in API]
    gone = [name for name in PAGES if name not in {r.name for r in page_routes()}]
    gone += [op for op in API if op not in api_operations()]
    message = []
    if missing_pages:
        message.append("Pages missing from PAGES (who may GET / POST them?):")
        message.extend(missing_pages)
    if missing_api:
        message.append("API operations missing from API (which roles may call them?):")
        message.extend(missing_api)
    if gone:
        message.append("In the table but no longer routed (remove them):")
        message.extend(f"    {name!r}" for name in gone)
    assert not message, "\n" + "\n".join(message)


def test_every_api_route_is_in_the_schema():
    # The API operations are read from the OpenAPI schema; a route left out of the schema would
    # escape the matrix, so compare with what the URL resolver routes under /api/v1/.
    documented = {path.lstrip("/") for path in api_schema()["paths"]}
    routed = {
        r.pattern.replace("<", "{").replace(">", "}")
        for r in _walk(get_resolver().url_patterns)
        if r.pattern.startswith("api/v1/") and r.name not in API_DOCS
    }
    assert routed <= documented, sorted(routed - documented)


# --- a small shop with one of everything --------------------------------------------------------

CARRIER_URL = "http://ghn.matrix.test"


def _png() -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")


def _build_shop() -> dict:
    shop: dict = {}
    owner = None
    for role in ROLES:
        user = user_create(username=f"m-{role}", password="mat-khau-dai-2026", role=role)
        owner = owner or user
        shop[session(role)] = user
        shop[key(role)] = api_key_create(name=f"matrix {role}", role=role, actor=owner)[1]
    # Objects the staff and key pages act on: never one of the callers themselves.
    shop["staff"] = user_create(username="m-other", password="mat-khau-dai-2026", role="sales")
    shop["api_key"] = api_key_create(name="matrix other", role="sales", actor=owner)[0]

    ward = Ward.objects.select_related("province").get(name="Phường Hoàn Kiếm")
    shop["province"] = ward.province
    values = {
        "address_line": "18 Hàng Bạc",
        "ward": ward.code,
        "province": ward.province_id,
        "contact_name": "Nguyễn Thị Lan",
        "phone": "0912000111",
    }
    hanoi = inventory.warehouse_create(code="HN", name="Kho Hà Nội", **values)
    saigon = inventory.warehouse_create(code="SG", name="Kho Sài Gòn", **values)
    shop["warehouse"] = hanoi

    shop["category"] = catalog.category_create(name="Áo")
    shop["brand"] = catalog.brand_create(name="Coolmate")
    product = catalog.product_create(
        name="Áo thun",
        sku="AT01",
        category=shop["category"],
        brand=shop["brand"],
        defaults={"cost_price": 80_000, "sale_price": 165_000, "weight_g": 250},
        initial_stock={hanoi.pk: 50, saigon.pk: 5},
    )
    shop["product"] = product
    shop["variant"] = product.variants.get()
    shop["image"] = catalog.product_image_add(product=product, file=_png())
    shop["customer"] = customers.customer_create(name="Trần Thị Ngọc", phone="0903123456")

    address = orders.AddressInput(line="45 Hàng Bạc", ward=ward.code)
    shop["order"] = orders.order_create(
        channel="manual_phone",
        customer=orders.CustomerInput(name="Trần Thị Ngọc", phone="0903123456", address=address),
        lines=[orders.LineInput(sku="AT01", quantity=1)],
        shipping_fee=30_000,
        confirm=True,
    )
    # Short of stock: a purchase suggestion for it.
    shop["short"] = catalog.product_create(
        name="Quần jean", sku="QJ01", defaults={"cost_price": 150_000, "sale_price": 350_000}
    ).variants.get()
    orders.order_create(
        channel="manual_phone",
        customer=orders.CustomerInput(name="Lê Văn An", phone="0903999888", address=address),
        lines=[orders.LineInput(sku="QJ01", quantity=2)],
    )
    shop["transfer"] = transfer_create(
        source=hanoi, destination=saigon, lines=[TransferLineInput(sku="AT01", quantity=1)]
    )
    shop["stocktake"] = stocktake_create(warehouse=saigon)
    shop["stocktake_line"] = shop["stocktake"].lines.first()

    shop["supplier"] = purchasing.supplier_create(name="Công ty TNHH An Phát")
    shop["purchase_order"] = purchasing.purchase_order_create(
        supplier=shop["supplier"],
        warehouse=hanoi,
        lines=[purchasing.PoLineInput(sku="AT01", quantity=10, unit_price=80_000)],
    )
    shop["receipt"] = purchasing.goods_receipt_post(
        warehouse=hanoi,
        supplier=shop["supplier"],
        lines=[purchasing.ReceiptLineInput(sku="AT01", quantity=2, unit_cost=80_000)],
    )

    emulator = GhnEmulator(webhook_secret="s3cret", seed=1, clock=Clock(timezone.now()))
    register_transport(CARRIER_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    account = shipping.carrier_account_save(
        provider="ghn",
        name="GHN",
        environment="emulator",
        base_url=CARRIER_URL,
        credentials={"token": "demo-ghn-token"},
        options={"shop_id": 885},
        webhook_secret="s3cret",
        pickup_warehouse=hanoi,
    )
    shop["carrier_account"] = account
    shop["shipment"] = shipping.shipment_create(order=shop["order"], account=account)
    batch = label_batch_create(shipment_ids=[shop["shipment"].pk], size="A6")
    label_batch_finish(batch=batch, pdf=ContentFile(b"%PDF-1.4\n%%EOF\n", name="labels.pdf"))
    shop["label_batch"] = batch
    _build_invoicing(shop)
    _build_marketplaces(shop)
    _build_returns(shop)
    _build_chatbot(shop)
    shop["payout"] = cod_payout_record(
        account=account,
        paid_at=date.today(),
        lines=[PayoutLineInput(tracking_code="NOT-OURS", cod_amount=1000)],
    )
    return shop


INVOICE_PROVIDER_URL = "http://sinvoice.matrix.test"
MARKETPLACE_URL = "http://shopee.matrix.test"


def _build_invoicing(shop: dict) -> None:
    ward = shop["warehouse"].ward
    shop_profile_update(
        actor=None,
        name="Công ty TNHH Thời trang Lan Nguyễn",
        tax_code="0107654326",
        address_line="18 Hàng Bài",
        province=ward.province_id,
        ward=ward.pk,
    )
    emulator = SInvoiceEmulator(clock=Clock(timezone.now()), seed=1)
    register_transport(INVOICE_PROVIDER_URL, FaultyTransport(emulator.wsgi_app, emulator.faults))
    account = invoicing.invoice_account_save(
        provider="sinvoice",
        name="S-Invoice",
        environment="emulator",
        base_url=INVOICE_PROVIDER_URL,
        credentials={"username": "0107654326", "password": "demo-password"},
    )
    shop["invoice_account"] = account
    shop["invoice_template"] = invoicing.invoice_template_save(
        account=account,
        kind="vat",
        template_code="1/001",
        series=f"C{timezone.localdate().year % 100}TAA",
        is_default=True,
    )
    shop["invoice"] = invoicing.invoice_issue(order=shop["order"], hold=True)[0]


def _build_returns(shop: dict) -> None:
    # A delivered, paid order with a return of one unit and a bank refund waiting to be paid.
    address = orders.AddressInput(line="45 Hàng Bạc", ward=shop["warehouse"].ward_id)
    order = orders.order_create(
        channel="manual_phone",
        customer=orders.CustomerInput(name="Phạm Thu", phone="0903777666", address=address),
        lines=[orders.LineInput(sku="AT01", quantity=2)],
        payment_method="bank_transfer",
        confirm=True,
    )
    orders.order_mark_packed(order=order)
    orders.order_hand_over(order=order)
    order.refresh_from_db()
    orders.order_payment_record(order=order, method="bank_transfer", amount=order.total)
    goods_return = returns.return_create(
        order=order, lines=[returns.ReturnLineInput(sku="AT01", quantity=1)]
    )
    shop["goods_return"] = goods_return
    shop["return_line"] = goods_return.lines.get()
    shop["refund"] = returns.refund_create(
        goods_return=goods_return,
        method="bank_transfer",
        amount=1000,
        bank_bin="970436",
        bank_account="1023456789",
    )


def _build_chatbot(shop: dict) -> None:
    shop["conversation"] = chatbot.conversation_get_or_create(channel="api", external_user_id="m")
    shop["faq_entry"] = chatbot.faq_save(topic="other", question="Q?", answer="A", actor=None)
    shop["chat_connection"] = chatbot.connection_save(kind="web", name="Web", actor=None)


def _build_marketplaces(shop: dict) -> None:
    # The platform answers nothing useful (503): the matrix asks who may press, not what follows.
    register_transport(
        MARKETPLACE_URL, httpx.MockTransport(lambda request: httpx.Response(503, json={}))
    )
    connection = ShopConnection.objects.create(
        platform="shopee", name="Shopee", base_url=MARKETPLACE_URL
    )
    shop["connection"] = connection
    shop["listing"] = Listing.objects.create(connection=connection, item_id="1001")
    shop["marketplace_order"] = MarketplaceOrder.objects.create(
        connection=connection, external_id="SP-1", order=shop["order"]
    )


@pytest.fixture(scope="module")
def shop(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction that is rolled back at its end."""
    media = tmp_path_factory.mktemp("matrix-media")
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            TASKS=immediate,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = _build_shop()
            built["media_root"] = media
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for url in (CARRIER_URL, INVOICE_PROVIDER_URL, MARKETPLACE_URL):
                register_transport(url, None)


# --- arguments of each route ---------------------------------------------------------------------


def _page_kwargs(route: PageRoute, shop: dict) -> dict:
    """The URL arguments of a page: the shop's object of the kind the route names."""
    name = route.name
    app = name.split(":", 1)[0]
    kwargs = {}
    for arg in route.kwargs:
        if is_admin(name):
            value = {"app_label": "accounts", "content_type_id": 1, "url": "x/"}.get(arg, "1")
        elif arg == "pk":
            value = _pk_for(app, name, shop)
        elif arg == "code":
            value = {
                "inventory": shop["transfer"].code if "transfer" in name else None,
                "orders": shop["order"].code,
                "shipping": shop["order"].code,
                "invoicing": shop["order"].code,
                "returns": shop["order"].code,
            }.get(app) or shop["stocktake"].code
        elif arg == "refund_pk":
            value = shop["refund"].pk
        elif arg == "line_pk":
            value = shop["return_line"].pk
        elif arg == "image_pk":
            value = shop["image"].pk
        elif arg == "line_id":
            value = shop["stocktake_line"].pk
        elif arg == "provider":
            value = "ghn"
        elif arg == "platform":
            value = "shopee"
        elif arg == "path":
            value = shop["image"].image.name
        elif arg == "public_key":
            value = "no-such-widget"
        elif arg == "token":
            value = "x"
        else:
            raise AssertionError(f"{name}: say in _page_kwargs what <{arg}> is")
        kwargs[arg] = value
    return kwargs


def _pk_for(app: str, name: str, shop: dict) -> int:
    candidates = [
        ("accounts:staff", "staff"),
        ("accounts:api_key", "api_key"),
        ("catalog:product", "product"),
        ("catalog:category", "category"),
        ("catalog:brand", "brand"),
        ("customers:", "customer"),
        ("inventory:warehouse", "warehouse"),
        ("inventory:variant", "variant"),
        ("shipping:label_batch", "label_batch"),
        ("shipping:payout", "payout"),
        ("shipping:carrier", "carrier_account"),
        ("shipping:", "shipment"),
        ("purchasing:supplier", "supplier"),
        ("purchasing:receipt_detail", "receipt"),
        ("purchasing:receipt_labels", "receipt"),
        ("purchasing:", "purchase_order"),
        ("invoicing:account", "invoice_account"),
        ("invoicing:template", "invoice_template"),
        ("invoicing:", "invoice"),
        ("marketplaces:listing_link", "listing"),
        ("marketplaces:listing_create_product", "listing"),
        ("marketplaces:order_arrange", "marketplace_order"),
        ("marketplaces:order_label", "marketplace_order"),
        ("marketplaces:order_refresh", "marketplace_order"),
        ("marketplaces:", "connection"),
        ("returns:", "goods_return"),
        ("chatbot:faq", "faq_entry"),
        ("chatbot:connection", "chat_connection"),
        ("chatbot:", "conversation"),
    ]
    for prefix, key_name in candidates:
        if name.startswith(prefix):
            return shop[key_name].pk
    raise AssertionError(f"{name}: say in _pk_for which object its <pk> is")


# Bodies for operations that look up what the body names before checking the role (a 422 for
# an unknown supplier would hide whether the role may create purchase orders at all).
API_BODIES = {
    "POST /api/v1/purchase-orders": lambda shop: {
        "supplier_id": shop["supplier"].pk,
        "warehouse": shop["warehouse"].code,
        "lines": [{"sku": "AT01", "quantity": 1}],
    },
    "POST /api/v1/purchase-orders/{code}/receipts": lambda shop: {
        "lines": [{"sku": "AT01", "quantity": 1}]
    },
}

# The same for pages whose form is checked before the role.
PAGE_BODIES = {
    "purchasing:suggestions": lambda shop: {
        "warehouse": shop["warehouse"].pk,
        "variant": shop["short"].pk,
        f"quantity_{shop['short'].pk}": "2",
        f"supplier_{shop['short'].pk}": shop["supplier"].pk,
    },
    "orders:order_payment_add": lambda shop: {
        "method": "bank_transfer",
        "amount": "1000",
        "paid_on": date.today().isoformat(),
    },
}


def _api_path(path: str, shop: dict) -> str:
    codes = {
        "/api/v1/warehouses/{code}": shop["warehouse"].code,
        "/api/v1/transfers/{code}": shop["transfer"].code,
        "/api/v1/stocktakes/{code}": shop["stocktake"].code,
        "/api/v1/provinces/{code}": shop["province"].pk,
        "/api/v1/orders/{code}": shop["order"].code,
        "/api/v1/purchase-orders/{code}": shop["purchase_order"].code,
    }
    for prefix, value in codes.items():
        if path.startswith(prefix):
            path = path.replace("{code}", str(value))
    ids = {
        "{product_id}": shop["product"].pk,
        "{variant_id}": shop["variant"].pk,
        "{customer_id}": shop["customer"].pk,
        "{supplier_id}": shop["supplier"].pk,
        "{shipment_id}": shop["shipment"].pk,
        "{invoice_id}": shop["invoice"].pk,
        "{connection_id}": shop["connection"].pk,
        "{return_id}": shop["goods_return"].pk,
        "{conversation_id}": shop["conversation"].pk,
    }
    for param, value in ids.items():
        path = path.replace(param, str(value))
    assert "{" not in path, f"{path}: say in _api_path what its argument is"
    return path


# --- minimal bodies from the OpenAPI schema -------------------------------------------------------


def _example(schema: dict, components: dict):
    """The smallest value the schema accepts: required fields only, lowest counts."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [s for s in schema[combined] if s.get("type") != "null"]
            return _example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return {name: _example(properties[name], components) for name in schema.get("required", [])}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [_example(schema.get("items", {}), components) for _ in range(count)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return date.today().isoformat()
    if schema.get("format") == "date-time":
        return timezone.now().isoformat()
    if schema.get("format") == "binary":
        return SimpleUploadedFile("file.csv", b"product_sku\n", content_type="text/csv")
    return "x" * max(1, schema.get("minLength", 1))


def _api_request(operation: dict, components: dict) -> tuple[dict, dict]:
    """(query, body arguments for Client.generic)."""
    query = {
        p["name"]: _example(p.get("schema", {}), components)
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    content = (operation.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        body = _example(content["application/json"]["schema"], components)
        return query, {"data": json.dumps(body), "content_type": "application/json"}
    if "multipart/form-data" in content:
        fields = _example(content["multipart/form-data"]["schema"], components)
        return query, {"data": fields, "multipart": True}
    return query, {}


# --- the walk ------------------------------------------------------------------------------------


class Callers:
    """A client per principal. Sessions are restored before each request (a logout or a log-in
    in the walk must not change who the next request comes from)."""

    def __init__(self, shop: dict):
        self.clients: dict[str, Client] = {}
        self.cookies: dict[str, SimpleCookie] = {}
        anonymous = Client()
        self.clients[ANONYMOUS] = anonymous
        for role in ROLES:
            client = Client()
            client.force_login(shop[session(role)])
            self.clients[session(role)] = client
            self.clients[key(role)] = Client(headers={"Authorization": f"Bearer {shop[key(role)]}"})
        for name, client in self.clients.items():
            client.cookies["donhang_language"] = "en"
            self.cookies[name] = SimpleCookie(client.cookies.output(header="", sep=";"))

    def call(self, principal: str, method: str, path: str, query=None, body=None):
        client = self.clients[principal]
        client.cookies = SimpleCookie(self.cookies[principal].output(header="", sep=";"))
        body = dict(body or {})
        with transaction.atomic():
            if body.pop("multipart", False):
                response = client.post(path, data=body["data"], QUERY_STRING=_qs(query))
            else:
                response = client.generic(method, path, QUERY_STRING=_qs(query), **body)
            transaction.set_rollback(True)
        return response


def _qs(query) -> str:
    return urlencode(query or {})


LOGIN_PREFIXES = ("/accounts/login/?next=", "/admin/login/?next=")
# A page may refuse an action by going back with an error that names the missing permission
# ("Your role is not allowed to do this (purchasing.confirm_purchaseorder).").
PERMISSION_IN_MESSAGE = re.compile(
    r"\((?:accounts|catalog|customers|inventory|orders|purchasing|shipping)\.[a-z_]+\)|not allowed"
)


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code == 302 and response["Location"].startswith(LOGIN_PREFIXES):
        return True
    storage = getattr(response.wsgi_request, "_messages", None)
    said = [
        *getattr(storage, "_queued_messages", []),
        *(getattr(storage, "_loaded_data", []) or []),
    ]
    return any(
        m.level == messages.ERROR and PERMISSION_IN_MESSAGE.search(str(m.message)) for m in said
    )


def _verdict(response) -> str:
    if response.status_code >= 500:
        return f"error {response.status_code}"
    if response.status_code == 405:
        return "405 method not allowed"
    return "refused" if _refused(response) else "let in"


def _check(problems, label, principal, allowed: bool, response):
    verdict = _verdict(response)
    expected = "let in" if allowed else "refused"
    if verdict != expected:
        where = response.get("Location", "")
        problems.append(
            f"{label:<58} {principal:<20} expected {expected}, got {verdict}"
            f" ({response.status_code}{' → ' + where if where else ''})"
        )


def _dump(observed: dict, name: str) -> None:
    # MATRIX_DUMP=dir writes what each principal got, to compare with the table by hand.
    folder = os.environ.get("MATRIX_DUMP")
    if folder:
        with open(os.path.join(folder, name), "w") as handle:
            json.dump({k: sorted(v) for k, v in sorted(observed.items())}, handle, indent=1)


def test_pages_answer_as_the_table_says(shop, db, settings):
    settings.MEDIA_ROOT = shop["media_root"]  # where the product image was saved
    callers = Callers(shop)
    problems, observed = [], defaultdict(set)
    for route in page_routes():
        if route.name in PAGES:
            table = PAGES[route.name]
        elif is_admin(route.name):
            table = {"GET": NOBODY}  # the Django admin: superusers only, none of the roles
        elif os.environ.get("MATRIX_DUMP"):
            table = {"GET": NOBODY, "POST": NOBODY}
        else:
            continue  # reported by test_every_route_is_in_the_table
        path = _route_path(route, shop)
        keys_too = route.name == "api:openapi-json"
        for method, who in table.items():
            expected = _expected_pages(who, keys_too=keys_too)
            principals = ADMIN_PRINCIPALS if is_admin(route.name) else PAGE_PRINCIPALS
            body = None
            if method == "POST" and route.name in PAGE_BODIES:
                body = {"data": PAGE_BODIES[route.name](shop), "multipart": True}
            for principal in principals:
                response = callers.call(principal, method, path, body=body)
                observed[f"{method} {route.name}"].add(f"{principal}={response.status_code}")
                _check(problems, f"{method} {path}", principal, principal in expected, response)
    _dump(observed, "pages.json")
    assert not problems, "\n" + "\n".join(problems)


def _route_path(route: PageRoute, shop: dict) -> str:
    if route.pattern.startswith("^media/"):  # uploads: the product image's file
        return settings.MEDIA_URL + shop["image"].image.name
    if route.name == route.pattern:  # unnamed (the admin's catch-all)
        return "/" + route.pattern.split("(", 1)[0] + "x/"
    return reverse(route.name, kwargs=_page_kwargs(route, shop))


def test_api_answers_as_the_table_says(shop, db):
    callers = Callers(shop)
    schema = api_schema()
    components = schema["components"]["schemas"]
    problems, observed = [], defaultdict(set)
    for label, operation in api_operations().items():
        if label not in API and not os.environ.get("MATRIX_DUMP"):
            continue  # reported by test_every_route_is_in_the_table
        method, path = label.split(" ", 1)
        expected = _expected_api(API.get(label, NOBODY))
        for principal in API_PRINCIPALS:
            query, body = _api_request(operation, components)
            if label in API_BODIES:
                body = {
                    "data": json.dumps(API_BODIES[label](shop)),
                    "content_type": "application/json",
                }
            response = callers.call(principal, method, _api_path(path, shop), query, body)
            observed[label].add(f"{principal}={response.status_code}")
            _check(problems, label, principal, principal in expected, response)
    _dump(observed, "api.json")
    assert not problems, "\n" + "\n".join(problems)
