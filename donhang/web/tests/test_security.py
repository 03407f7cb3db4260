"""Issue 9's findings about the whole site: the Content-Security-Policy and no inline script,
revenue on the dashboard, one-line 403s in the log, no `testserver` in the allowed hosts."""

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from donhang.accounts.services import user_create
from donhang.catalog import services as catalog
from donhang.inventory.models import Warehouse
from donhang.inventory.services import stock_adjust
from donhang.web.log_filters import RefusalsOneLine
from donhang.web.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-dai-2026"
DONHANG = Path(__file__).resolve().parents[2]


def logged_in(client, role: str):
    client.force_login(user_create(username=f"u-{role}", password=PASSWORD, role=role))
    client.cookies["donhang_language"] = "en"
    return client


# --- Content-Security-Policy ---------------------------------------------------------------------


def test_the_policy_allows_only_our_own_scripts():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))

    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("role", [None, "owner", "warehouse"])
def test_every_kind_of_answer_carries_the_policy(client, role):
    # Issue 9: the site sent no Content-Security-Policy.
    if role:
        logged_in(client, role)
    answers = [
        client.get(reverse("accounts:login")),
        client.get(reverse("web:dashboard")),
        client.get(reverse("accounts:staff_list")),  # 302, 403 or 200
        client.get("/no-such-page/"),
        client.get("/api/v1/me"),
        client.get("/static/web/app.js"),
    ]

    for answer in answers:
        assert answer["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, answer


def test_a_stricter_policy_of_a_view_is_kept(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    response = client.get("/media/products/a.png")

    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def _templates():
    return sorted(p for p in DONHANG.glob("*/templates/**/*.html"))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
# onclick=, onchange=, onsubmit=, onfocus=… as HTML attributes (not data-on…)
INLINE_HANDLER = re.compile(r"\s(on[a-z]+)\s*=", re.I)
# What htmx or a link would evaluate as script: hx-on, js: values, trigger filters, javascript:
EVALUATED = re.compile(
    r"hx-on[:-]|hx-vars|hx-vals=['\"]\s*js:|hx-trigger=\"[^\"]*\[|href=['\"]\s*javascript:", re.I
)


def test_no_template_has_inline_script_or_event_handlers():
    # Issue 9: with script-src 'self', inline <script> blocks and onclick= handlers would not
    # run; they live in static files (web/app.js and each page's own file).
    found = []
    for path in _templates():
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, EVALUATED):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(DONHANG)}:{line}: {match.group(0).strip()}")
    assert not found, "inline script in templates:\n" + "\n".join(found)


def test_the_base_layout_loads_the_shared_behaviours(client):
    html = client.get(reverse("accounts:login")).text

    assert '<script src="/static/web/app.js"></script>' in html
    assert "data-autosubmit" in html  # the language switch
    assert client.get("/static/web/app.js").status_code == 200


# --- revenue -------------------------------------------------------------------------------------


@pytest.fixture
def todays_order(place_order, db):
    warehouse = Warehouse.objects.create(code="HN", name="Kho Hà Nội")
    product = catalog.product_create(
        name="Áo thun", sku="AT01", defaults={"cost_price": 80_000, "sale_price": 1_234_000}
    )
    stock_adjust(variant=product.variants.get(), warehouse=warehouse, delta=5, reason="test")
    return place_order(("AT01", 1))


@pytest.mark.parametrize(
    ("role", "sees_revenue"),
    [
        ("owner", True),
        ("manager", True),
        ("accountant", True),
        ("sales", False),
        ("warehouse", False),
    ],
)
def test_revenue_on_the_dashboard_is_for_owner_manager_and_accountant(
    client, todays_order, role, sees_revenue
):
    # Issue 9: sales and warehouse staff saw the shop's revenue.
    logged_in(client, role)

    html = client.get(reverse("web:dashboard")).text

    assert ("1.234.000" in html) is sees_revenue
    assert ('class="revenue"' in html) is sees_revenue
    assert "Orders today" in html  # the count of orders is work, not money


# --- logs and hosts ------------------------------------------------------------------------------


def test_a_403_is_one_line_in_the_log(client, caplog):
    # Issue 9: every refused page printed a traceback, as if it were a bug.
    logged_in(client, "sales")

    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("accounts:staff_list")).status_code == 403

    records = [r for r in caplog.records if getattr(r, "status_code", None) == 403]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert records[0].getMessage() == "Forbidden (Permission denied): /accounts/staff/"
    assert "\n" not in logging.Formatter().format(records[0])


def test_a_500_keeps_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("django.request", 40, "", 0, "Error", (), sys.exc_info())
    record.status_code = 500

    assert RefusalsOneLine().filter(record)
    assert record.exc_info is not None


def test_testserver_is_not_an_allowed_host_by_default(monkeypatch):
    # Issue 9: the default ALLOWED_HOSTS answered to "testserver". Tests get it from Django's
    # test set-up instead; read the settings module as a fresh process would.
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    code = "import config.settings as s; print(','.join(s.ALLOWED_HOSTS))"

    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=True,
    )

    assert result.stdout.strip() == "localhost,127.0.0.1,[::1]"
