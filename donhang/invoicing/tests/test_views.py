"""The invoicing pages: an accountant's adjustment and replacement from an issued invoice's page,
the list (filters, search, .xlsx), the order page's card, issuing from an order, the settings."""

import subprocess
import tempfile
from io import BytesIO

import pytest
from django.template.loader import render_to_string
from django.test import Client
from openpyxl import load_workbook

from donhang.accounts.services import user_create
from donhang.core.errors import DomainError
from donhang.invoicing import services
from donhang.invoicing.models import Invoice, InvoiceAccount, InvoiceTemplate
from donhang.invoicing.selectors import dashboard_counts
from donhang.orders.models import Order

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-dai-2026"


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def login(role: str) -> Client:
    user_create(username=f"u-{role}", password=PASSWORD, role=role)
    client = Client(headers={"Accept-Language": "en"})
    assert client.login(username=f"u-{role}", password=PASSWORD)
    return client


def issued(order, template, committed) -> Invoice:
    with committed():
        invoice, _started = services.invoice_issue(order=order, template=template)
    invoice.refresh_from_db()
    assert invoice.state == "issued", invoice.last_error
    return invoice


def test_accountant_adjusts_one_line_from_the_invoice_page(
    provider, make_order, committed, accountant
):
    template, emulator = provider
    original = issued(make_order(), template, committed)
    shirts = original.lines.get(position=1)  # 2 × 165,000 at 8 %
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(accountant)

    page = client.get(f"/invoicing/{original.pk}/")
    assert page.status_code == 200 and b'id="adjust-link"' in page.content
    assert client.get(f"/invoicing/{original.pk}/adjust/").status_code == 200
    with committed():
        response = client.post(
            f"/invoicing/{original.pk}/adjust/",
            {
                "direction": "decrease",
                "reason": "Khách trả lại 1 áo sơ mi",
                "agreement": "Biên bản điều chỉnh số 01",
                f"quantity_{shirts.pk}": "1",
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    adjustment = Invoice.objects.get(purpose="adjustment")
    assert response["Location"] == f"/invoicing/{adjustment.pk}/"
    assert adjustment.state == "issued", adjustment.last_error
    assert adjustment.original_id == original.pk
    assert adjustment.total == -165_000 and adjustment.vat_breakdown[0]["rate"] == "8"
    line = adjustment.lines.get()
    assert line.is_increase is False and line.original_line_id == shirts.pk
    original.refresh_from_db()
    assert original.state == "adjusted"
    # The provider has the reference to the original as it requires
    if template.account.provider == "misa":
        at_provider = next(i for i in emulator.invoices if i.ref_id == adjustment.reference)
        assert at_provider.original.ref_id == original.reference
        assert at_provider.data.get("OrgInvNo") == original.provider_number
    else:
        at_provider = next(
            i for i in emulator.all_invoices() if i.transaction_uuid == adjustment.reference
        )
        assert at_provider.original_no == original.provider_number
        assert at_provider.adjustment_type == "5"
    page = client.get(f"/invoicing/{adjustment.pk}/").content.decode()
    assert f"/invoicing/{original.pk}/" in page and "Khách trả lại 1 áo sơ mi" in page


def test_accountant_replaces_an_invoice_with_the_buyer_fixed(
    provider, make_order, committed, accountant
):
    template, emulator = provider
    order = make_order()
    original = issued(order, template, committed)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(accountant)
    form = client.get(f"/invoicing/{original.pk}/replace/")
    assert form.status_code == 200

    with committed():
        response = client.post(
            f"/invoicing/{original.pk}/replace/",
            {
                "reason": "Sai mã số thuế người mua",
                "buyer_kind": "company",
                "buyer_name": "Trần Thị Bích Ngọc",
                "buyer_company_name": "Công ty TNHH Thương mại Ánh Dương",
                "buyer_tax_code": "0101243150",
                "buyer_address": "18 Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
                "buyer_email": "ketoan@anhduong.example",
            },
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    replacement = Invoice.objects.get(purpose="replacement")
    assert replacement.state == "issued", replacement.last_error
    assert replacement.original_id == original.pk
    assert replacement.buyer_tax_code == "0101243150"
    assert replacement.total == original.total
    original.refresh_from_db()
    assert original.state == "replaced"
    if template.account.provider == "misa":
        at_provider = next(i for i in emulator.invoices if i.ref_id == replacement.reference)
        assert at_provider.original.ref_id == original.reference
    else:
        at_provider = next(
            i for i in emulator.all_invoices() if i.transaction_uuid == replacement.reference
        )
        assert at_provider.original_no == original.provider_number
        assert at_provider.adjustment_type == "3"
    # A replaced invoice is neither replaced nor adjusted again
    page = client.get(f"/invoicing/{original.pk}/").content
    assert b'id="replace-link"' not in page and b'id="adjust-link"' not in page


def test_a_replacement_with_a_bad_tax_code_is_refused_naming_the_field(
    sinvoice_template, make_order, committed, accountant
):
    original = issued(make_order(), sinvoice_template, committed)
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(accountant)

    response = client.post(
        f"/invoicing/{original.pk}/replace/",
        {
            "reason": "Sai mã số thuế",
            "buyer_kind": "company",
            "buyer_name": "Trần Thị Bích Ngọc",
            "buyer_company_name": "Công ty TNHH Thương mại Ánh Dương",
            "buyer_tax_code": "0101243151",
            "buyer_address": "18 Hàng Bạc",
        },
    )

    assert response.status_code == 422
    assert "buyer_tax_code" in response.context["form"].errors
    assert not Invoice.objects.filter(purpose="replacement").exists()


def test_a_sales_person_sees_invoices_but_cannot_issue_or_correct(
    sinvoice_template, make_order, committed
):
    original = issued(make_order(), sinvoice_template, committed)
    sales = login("sales")
    assert sales.get("/invoicing/").status_code == 200
    assert b'id="adjust-link"' not in sales.get(f"/invoicing/{original.pk}/").content
    assert sales.get(f"/invoicing/{original.pk}/adjust/").status_code == 403
    assert sales.post(f"/invoicing/{original.pk}/replace/", {}).status_code == 403
    assert sales.get(f"/invoicing/orders/{original.order.code}/issue/").status_code == 403
    warehouse = login("warehouse")
    assert warehouse.get("/invoicing/").status_code == 403


def test_list_filters_search_and_export(sinvoice_template, make_order, committed):
    company = issued(make_order(), sinvoice_template, committed)
    person = issued(make_order(buyer=None, name='=HYPERLINK("x")'), sinvoice_template, committed)
    client = login("manager")

    by_number = client.get("/invoicing/", {"q": company.number})
    assert [i.pk for i in by_number.context["invoices"]] == [company.pk]
    by_tax_code = client.get("/invoicing/", {"q": "0100109106"})
    assert [i.pk for i in by_tax_code.context["invoices"]] == [company.pk]
    by_state = client.get("/invoicing/", {"state": "failed"})
    assert list(by_state.context["invoices"]) == []
    assert len(client.get("/invoicing/", {"state": "issued"}).context["invoices"]) == 2

    export = client.get("/invoicing/export.xlsx", {"state": "issued"})
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    buyers = {row[8] for row in rows[1:]}
    assert '\'=HYPERLINK("x")' in buyers  # neutralised: text, not a formula
    assert person.buyer_name.startswith("=")
    assert {row[12] for row in rows[1:]} == {company.total, person.total}


def test_the_order_page_shows_its_invoices_and_issues_in_two_clicks(
    sinvoice_template, make_order, committed
):
    order = make_order()
    client = login("accountant")

    page = client.get(f"/orders/{order.code}/").content.decode()
    assert 'id="issue-invoice-link"' in page
    issue_page = client.get(f"/invoicing/orders/{order.code}/issue/")
    assert issue_page.status_code == 200
    body = issue_page.content.decode()
    assert 'data-rate="8"' in body and 'data-rate="10"' in body
    assert "Bốn trăm năm mươi chín nghìn đồng" in body
    preview = client.get(f"/invoicing/orders/{order.code}/preview.pdf")
    assert preview["Content-Type"] == "application/pdf"
    text = pdf_text(preview.content)
    assert "Thuế suất 8%" in text and "Thuế suất 10%" in text
    assert "Bốn trăm năm mươi chín nghìn đồng" in text

    with committed():
        response = client.post(
            f"/invoicing/orders/{order.code}/issue/", {"template": sinvoice_template.pk}
        )

    assert response.status_code == 302
    invoice = order.invoices.get()
    assert invoice.state == "issued"
    page = client.get(f"/orders/{order.code}/").content.decode()
    assert invoice.tax_authority_code in page and 'id="issue-invoice-link"' not in page
    pdf = client.get(f"/invoicing/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_the_issue_page_lists_what_to_fix(sinvoice_template, make_order):
    order = make_order()
    Order.objects.filter(pk=order.pk).update(buyer_tax_code="0100109107")
    client = login("accountant")

    page = client.get(f"/invoicing/orders/{order.code}/issue/")

    assert page.status_code == 200
    assert "buyer_tax_code" in page.context["problems"]
    assert b'id="issue-invoice" disabled' in page.content


def test_templates_are_checked_against_the_format_rules(sinvoice_template):
    client = login("accountant")
    account = sinvoice_template.account
    bad = client.post(
        "/invoicing/settings/templates/new/",
        {"account": account.pk, "kind": "vat", "template_code": "1", "series": "C26TA"},
    )
    assert bad.status_code == 422
    assert set(bad.context["form"].errors) >= {"template_code", "series"}
    good = client.post(
        "/invoicing/settings/templates/new/",
        {"account": account.pk, "kind": "vat", "template_code": "1/001", "series": "c26tab"},
    )
    assert good.status_code == 302
    assert InvoiceTemplate.objects.filter(series="C26TAB").exists()
    # Accounts (credentials) are the owner's
    assert client.get("/invoicing/settings/accounts/new/").status_code == 403
    assert client.get("/invoicing/settings/").status_code == 200


def test_owner_adds_an_account_with_encrypted_credentials():
    client = login("owner")
    response = client.post(
        "/invoicing/settings/accounts/new/",
        {
            "provider": "misa",
            "name": "MISA",
            "environment": "test",
            "misa_app_id": "app",
            "misa_username": "ketoan@shop.vn",
            "misa_password": "bí-mật",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    account = InvoiceAccount.objects.get()
    assert account.credentials["password"] == "bí-mật"
    assert "bí-mật" not in account.credentials_encrypted
    missing = client.post(
        "/invoicing/settings/accounts/new/",
        {"provider": "sinvoice", "name": "S", "environment": "production"},
    )
    assert missing.status_code == 422
    assert "sinvoice_username" in missing.context["form"].errors


def test_a_second_adjustment_where_the_provider_takes_one(
    provider, make_order, committed, accountant
):
    template, _emulator = provider
    original = issued(make_order(), template, committed)
    line = original.lines.get(position=2)
    with committed():
        services.invoice_adjust(
            invoice=original,
            reason="Giảm giá ốp lưng",
            changes=[services.AdjustmentInput(line_id=line.pk, amount=9_000)],
            actor=accountant,
        )
    original.refresh_from_db()
    assert original.state == "adjusted"
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(accountant)
    page = client.get(f"/invoicing/{original.pk}/").content

    if template.account.provider == "sinvoice":  # S-Invoice takes several adjustments
        assert b'id="adjust-link"' in page
        with committed():
            second = services.invoice_adjust(
                invoice=original,
                reason="Giảm thêm",
                changes=[services.AdjustmentInput(line_id=line.pk, amount=1_000)],
                actor=accountant,
            )
        second.refresh_from_db()
        assert second.state == "issued", second.last_error
        with pytest.raises(DomainError):  # more than what remains on the line
            services.invoice_adjust(
                invoice=original,
                reason="Quá nhiều",
                changes=[services.AdjustmentInput(line_id=line.pk, amount=90_000)],
                actor=accountant,
            )
    else:  # MISA refuses a second one (HasAdjustmentInvoice): refused before any call
        assert b'id="adjust-link"' not in page
        with pytest.raises(DomainError) as err:
            services.invoice_adjust(
                invoice=original,
                reason="Giảm thêm",
                changes=[services.AdjustmentInput(line_id=line.pk, amount=1_000)],
                actor=accountant,
            )
        assert "MISA" in err.value.message


def test_dashboard_counts_and_partial(sinvoice_template, make_order, committed):
    services.invoice_issue(order=make_order(), template=sinvoice_template, hold=True)
    counts = dashboard_counts()
    assert counts["pending"] == 1 and counts["failed"] == 0
    client = login("accountant")
    request = client.get("/").wsgi_request
    html = render_to_string(
        "invoicing/partials/dashboard_invoices.html", {"invoice_counts": counts}, request=request
    )
    assert 'id="invoice-buckets"' in html and "?state=pending" in html
