"""The audit log: every sensitive action writes an entry; the owner browses them with filters,
exports them (.xlsx, formulas neutralised) and reads them through GET /api/v1/audit."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from donhang.accounts import services as accounts
from donhang.catalog import services as catalog
from donhang.core.audit import AuditFilter, audit_entry_list, audit_page
from donhang.core.models import AuditEntry
from donhang.inventory import services as inventory
from donhang.inventory.models import Warehouse
from donhang.orders import services as orders
from donhang.orders.models import PaymentRecordMethod
from donhang.shipping import services as shipping

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(db):
    return Warehouse.objects.create(code="HN", name="Kho Hà Nội", priority=1)


@pytest.fixture
def variant(owner, warehouse):
    product = catalog.product_create(
        name="Áo thun",
        sku="AT01",
        defaults={"cost_price": 80_000, "sale_price": 150_000, "vat_rate": "10"},
        initial_stock={warehouse.pk: 10},
        actor=owner,
    )
    return product.variants.get()


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def test_every_sensitive_action_writes_an_audit_entry(
    owner, make_user, variant, warehouse, place_order
):
    AuditEntry.objects.all().delete()
    # Prices and costs: what they were and what they became
    catalog.variant_update(variant=variant, sale_price=160_000, cost_price=85_000, actor=owner)
    # A stock adjustment, with its reason
    inventory.stock_adjust(variant=variant, warehouse=warehouse, delta=-2, reason="vỡ", actor=owner)
    # A refund
    order = place_order(("AT01", 1))
    orders.order_payment_record(
        order=order, method=PaymentRecordMethod.BANK_TRANSFER, amount=160_000, actor=owner
    )
    orders.order_payment_record(
        order=order, method=PaymentRecordMethod.BANK_TRANSFER, amount=-50_000, actor=owner
    )
    # A role change, an API key, a carrier account
    clerk = make_user("nv", "sales")
    accounts.user_set_role(user=clerk, role="manager", actor=owner)
    accounts.api_key_create(name="Website", role="sales", actor=owner)
    shipping.carrier_account_save(
        provider="ghn",
        name="GHN",
        credentials={"token": "t"},
        options={"shop_id": 1},
        pickup_warehouse=warehouse,
        actor=owner,
    )

    recorded = actions()
    for action in [
        "variant.update",
        "stock.adjust",
        "order.refund",
        "user.set_role",
        "api_key.create",
        "carrier_account.save",
    ]:
        assert action in recorded, (action, recorded)
    price = AuditEntry.objects.get(action="variant.update")
    assert price.data["before"]["sale_price"] == 150_000
    assert price.data["after"]["sale_price"] == 160_000
    assert price.data["after"]["cost_price"] == 85_000
    stock = AuditEntry.objects.get(action="stock.adjust")
    assert stock.data == {"variant": "AT01", "warehouse": "HN", "delta": -2, "reason": "vỡ"}
    refund = AuditEntry.objects.get(action="order.refund")
    assert (refund.object_type, refund.object_id) == ("orders.order", str(order.pk))
    assert refund.data["amount"] == -50_000 and refund.actor == owner
    # Money received is no sensitive change: only the refund is there
    assert recorded.count("order.refund") == 1


def make_entries(owner, clerk):
    AuditEntry.objects.all().delete()
    old = AuditEntry.objects.create(
        actor=clerk, actor_label="nv", action="stock.adjust", object_type="inventory.stockmovement",
        object_id="7", summary="AT01 @ HN: -2",
    )  # fmt: skip
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=10))
    AuditEntry.objects.create(
        actor=owner, actor_label="chu", action="invoice.issue", object_type="invoicing.invoice",
        object_id="3", summary="=HYPERLINK(\"http://x\")", data={"order": "DH1"},
    )  # fmt: skip
    AuditEntry.objects.create(
        actor=owner, actor_label="chu", action="invoice.replace", object_type="invoicing.invoice",
        object_id="3", summary="sai tên",
    )  # fmt: skip
    AuditEntry.objects.create(
        actor=None, actor_label="key:Website", action="user.set_role", object_type="accounts.user",
        object_id=str(clerk.pk), summary="manager",
    )  # fmt: skip


def test_the_owner_browses_the_log_with_filters(owner, owner_client, make_user):
    clerk = make_user("nv", "sales")
    make_entries(owner, clerk)
    url = reverse("accounts:audit_log")

    page = owner_client.get(url)
    assert page.status_code == 200
    shown = [e.action for e in page.context["entries"]]
    assert shown == ["user.set_role", "invoice.replace", "invoice.issue", "stock.adjust"]

    def shown_for(**query):
        return [e.action for e in owner_client.get(url, query).context["entries"]]

    assert shown_for(action="invoice.") == ["invoice.replace", "invoice.issue"]
    assert shown_for(action="invoice.issue") == ["invoice.issue"]
    assert shown_for(actor_id=clerk.pk) == ["stock.adjust"]
    assert shown_for(actor="website") == ["user.set_role"]
    assert shown_for(object_type="invoicing.invoice", object_id="3") == [
        "invoice.replace",
        "invoice.issue",
    ]
    today = timezone.localdate()
    assert shown_for(date_to=(today - timedelta(days=5)).isoformat()) == ["stock.adjust"]
    assert "stock.adjust" not in shown_for(date_from=today.isoformat())
    # A filter that is not a date is ignored, never a server error
    assert owner_client.get(url, {"date_from": "31/31/2026", "before": "9" * 40}).status_code == 200


def test_the_log_pages_from_newest_to_oldest():
    AuditEntry.objects.bulk_create(
        AuditEntry(actor_label="system", action="x.y", object_type="a.b", object_id=str(i))
        for i in range(7)
    )
    first, before = audit_page_of(3, None)
    second, before2 = audit_page_of(3, before)
    third, before3 = audit_page_of(3, before2)
    ids = [e.object_id for e in first + second + third]
    assert ids == ["6", "5", "4", "3", "2", "1", "0"] and before3 is None


def audit_page_of(size, before):
    return audit_page(AuditFilter(), before_id=before, size=size)


def test_the_export_is_a_spreadsheet_with_formulas_neutralised(owner, owner_client, make_user):
    make_entries(owner, make_user("nv", "sales"))
    response = owner_client.get(
        reverse("accounts:audit_log"), {"action": "invoice.", "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3  # the header and the two invoice entries
    assert rows[0][2] == "Action"
    issue = next(r for r in rows if r[2] == "invoice.issue")
    assert issue[5] == '\'=HYPERLINK("http://x")'  # shown as text, never run
    assert issue[6] == '{"order": "DH1"}'


def test_the_api_lists_the_log_for_the_owner_only(owner, make_user):
    clerk = make_user("nv", "sales")
    make_entries(owner, clerk)
    _key, raw = accounts.api_key_create(name="owner-key", role="owner", actor=owner)
    api = Client(headers={"Authorization": f"Bearer {raw}"})

    page = api.get("/api/v1/audit", {"action": "invoice.", "limit": 1}).json()
    assert [e["action"] for e in page["items"]] == ["invoice.replace"]
    assert (
        page["items"][0]["actor"] == "chu"
        and page["items"][0]["object_type"] == "invoicing.invoice"
    )
    rest = api.get("/api/v1/audit", {"action": "invoice.", "before": page["next_before"]}).json()
    assert [e["action"] for e in rest["items"]] == ["invoice.issue"] and rest["next_before"] is None
    assert api.get("/api/v1/audit", {"date_from": "not-a-date"}).status_code == 422

    _key, raw = accounts.api_key_create(name="sales-key", role="sales", actor=owner)
    sales = Client(headers={"Authorization": f"Bearer {raw}"})
    assert sales.get("/api/v1/audit").status_code == 403
    # Reading the log writes nothing to it
    assert audit_entry_list(AuditFilter(action="audit.")).count() == 0
