"""The API docs page works offline and under the Content-Security-Policy (issue 9)."""

import pytest
from playwright.sync_api import expect

from donhang.accounts.services import user_create
from donhang.web.tests.test_browser_foundation import PASSWORD, log_in, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_from_our_own_files(page, live_server):
    violations = watch_csp(page)
    foreign = []

    def note(request):
        if not request.url.startswith((live_server.url, "data:", "blob:")):
            foreign.append(request.url)

    page.on("request", note)
    user_create(username="ke-toan", password=PASSWORD, role="accountant")
    log_in(page, username="ke-toan", language="en")

    page.goto("/api/v1/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("donhang API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert violations == []
    assert foreign == []
