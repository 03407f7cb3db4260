"""Sales → Integrations: connect marketplace shops (authorize, callback), their health, products
both ways (pull, link or create, publish), stock rules and "push now", the push log, the
marketplace orders, and the order page's logistics actions. Views validate input, call a
service or selector, render; services check permissions themselves."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from donhang.accounts.decorators import permission_required_403
from donhang.catalog.models import Product, Variant
from donhang.core.errors import DomainError
from donhang.core.integrations import IntegrationError
from donhang.marketplaces import selectors, services
from donhang.marketplaces.forms import ConnectForm, LinkForm, ShopSettingsForm
from donhang.marketplaces.models import Listing, MarketplaceOrder, Platform, ShopConnection
from donhang.orders.selectors import channel_rule_get
from donhang.web.middleware import content_security_policy


def _connection(pk: int) -> ShopConnection:
    connection = ShopConnection.objects.select_related("store").filter(pk=pk).first()
    if connection is None:
        raise Http404(_("There is no such shop connection."))
    return connection


def callback_url(request, platform: str) -> str:
    return request.build_absolute_uri(reverse("marketplaces:oauth_callback", args=[platform]))


def push_url(request, platform: str) -> str:
    return request.build_absolute_uri(reverse("marketplaces:push", args=[platform]))


def _problem(request, exc: Exception) -> None:
    messages.error(request, getattr(exc, "message", None) or str(exc))


@permission_required_403("marketplaces.view_shopconnection")
@require_GET
def connection_list(request):
    connections = selectors.connection_list()
    return render(
        request,
        "marketplaces/connection_list.html",
        {
            "connections": connections,
            "push_urls": {p: push_url(request, p) for p in Platform.values},
        },
    )


@permission_required_403("marketplaces.add_shopconnection")
def connection_create(request):
    form = ConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        try:
            _connection_saved, url = services.connection_start(
                redirect_uri=callback_url(request, values["platform"]),
                actor=request.user,
                **values,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            # To the platform's authorization page; it sends the seller back to our callback.
            return redirect(url)
    return _may_leave_for_the_platform(
        render(
            request,
            "marketplaces/connection_form.html",
            {
                "form": form,
                "callback_urls": {p: callback_url(request, p) for p in Platform.values},
            },
            status=422 if form.errors else 200,
        )
    )


@permission_required_403("marketplaces.add_shopconnection")
@require_GET
def oauth_callback(request, platform: str):
    """Where the platform sends the seller back: code (+ shop_id for Shopee) and our state."""
    if platform not in Platform.values:
        raise Http404
    if request.GET.get("error") or request.GET.get("code") in (None, "", "null"):
        messages.error(
            request,
            _("The platform did not authorize the shop: %(reason)s")
            % {"reason": request.GET.get("error") or _("no code")},
        )
        return redirect("marketplaces:connection_list")
    try:
        connection = services.connection_authorize(
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            shop_id=request.GET.get("shop_id", ""),
            actor=request.user,
        )
    except (DomainError, IntegrationError) as exc:
        _problem(request, exc)
        return redirect("marketplaces:connection_list")
    messages.success(
        request,
        _("Shop “%(shop)s” connected. Its products are being pulled.")
        % {"shop": connection.shop_name},
    )
    return redirect("marketplaces:connection_detail", connection.pk)


@permission_required_403("marketplaces.view_shopconnection")
@require_GET
def connection_detail(request, pk: int):
    connection = _connection(pk)
    rule = (
        channel_rule_get(channel=connection.platform, store_id=connection.store_id)
        if connection.store_id
        else None
    )
    form = ShopSettingsForm(
        initial={
            "name": connection.name,
            "stock_percent": connection.stock_percent,
            "stock_buffer": connection.stock_buffer,
            "strategy": rule.strategy if rule else "priority",
            "warehouses": list(rule.warehouses.all()) if rule else [],
            "push_url": connection.options.get("push_url", ""),
        }
    )
    return _detail(request, connection, form)


# The platforms' sign-in pages our connect and re-authorize forms end at (after a redirect).
# Browsers check a form's CSP form-action against every redirect that follows its POST, so
# these pages carry their own policy naming those origins.
PLATFORM_AUTHORIZE_ORIGINS = (
    "https://partner.shopeemobile.com",
    "https://openplatform.sandbox.test-stable.shopee.sg",
    "https://auth.lazada.com",
    "https://services.tiktokshop.com",
    "https://auth.tiktok-shops.com",
)


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _authorize_origins() -> tuple[str, ...]:
    own = {_origin(u) for u in ShopConnection.objects.values_list("base_url", flat=True)}
    emulators = {
        f"http://127.0.0.1:{port}"
        for port in getattr(settings, "MARKETPLACE_EMULATOR_PORTS", {}).values()
    }
    return tuple(sorted(({*PLATFORM_AUTHORIZE_ORIGINS} | own | emulators) - {""}))


def _may_leave_for_the_platform(response):
    response["Content-Security-Policy"] = content_security_policy(form_action=_authorize_origins())
    return response


def _detail(request, connection, form, status=200):
    return _may_leave_for_the_platform(_render_detail(request, connection, form, status))


def _render_detail(request, connection, form, status=200):
    return render(
        request,
        "marketplaces/connection_detail.html",
        {
            "connection": connection,
            "status": selectors.connection_sync_status(connection=connection),
            "form": form,
            "orders": selectors.marketplace_order_list(connection=connection, limit=20),
            "pushes": selectors.stock_push_list(connection=connection, limit=20),
            "publishes": selectors.publish_list(connection=connection),
            "push_url": push_url(request, connection.platform),
        },
        status=status,
    )


@permission_required_403("marketplaces.change_shopconnection")
@require_POST
def connection_settings(request, pk: int):
    connection = _connection(pk)
    form = ShopSettingsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.connection_settings_save(
                connection=connection,
                name=data["name"],
                stock_percent=data["stock_percent"],
                stock_buffer=data["stock_buffer"],
                strategy=data["strategy"],
                warehouse_ids=[w.pk for w in data["warehouses"]],
                options={"push_url": data.get("push_url") or ""},
                actor=request.user,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, _("Settings saved; the stock is published again."))
            return redirect("marketplaces:connection_detail", connection.pk)
    return _detail(request, connection, form, status=422)


@permission_required_403("marketplaces.sync_shopconnection")
@require_POST
def connection_pull(request, pk: int):
    connection = _connection(pk)
    try:
        result = services.products_pull(connection=connection, actor=request.user)
    except (DomainError, IntegrationError) as exc:
        _problem(request, exc)
    else:
        messages.success(
            request,
            _("%(n)s listings pulled: %(matched)s matched, %(unmatched)s to link or create.")
            % {"n": result.listings, "matched": result.matched, "unmatched": result.unmatched},
        )
    return redirect("marketplaces:listing_list", connection.pk)


@permission_required_403("marketplaces.sync_shopconnection")
@require_POST
def connection_push_now(request, pk: int):
    connection = _connection(pk)
    n = services.connection_push_now(connection=connection, actor=request.user)
    services.enqueue_task("push_stock_now_task", connection.pk)
    messages.success(request, _("%(n)s listings will have their stock pushed now.") % {"n": n})
    return redirect("marketplaces:connection_detail", connection.pk)


@permission_required_403("marketplaces.change_shopconnection")
@require_POST
def connection_reauthorize(request, pk: int):
    connection = _connection(pk)
    try:
        _saved, url = services.connection_start(
            platform=connection.platform,
            name=connection.name,
            connection=connection,
            redirect_uri=callback_url(request, connection.platform),
            actor=request.user,
        )
    except DomainError as exc:
        _problem(request, exc)
        return redirect("marketplaces:connection_detail", connection.pk)
    return redirect(url)


@permission_required_403("marketplaces.change_shopconnection")
@require_POST
def connection_disconnect(request, pk: int):
    connection = _connection(pk)
    services.connection_disconnect(connection=connection, actor=request.user)
    messages.success(request, _("The shop is disconnected; its orders stay."))
    return redirect("marketplaces:connection_list")


@permission_required_403("marketplaces.view_shopconnection")
@require_GET
def listing_list(request, pk: int):
    connection = _connection(pk)
    show = request.GET.get("show", "unmatched")
    matched = {"matched": True, "unmatched": False}.get(show)
    listings = list(
        selectors.listing_list(connection=connection, matched=matched, q=request.GET.get("q", ""))[
            :500
        ]
    )
    return render(
        request,
        "marketplaces/listing_list.html",
        {
            "connection": connection,
            "listings": listings,
            "show": show,
            "q": request.GET.get("q", ""),
            "status": selectors.connection_sync_status(connection=connection),
        },
    )


def _listing(pk: int) -> Listing:
    listing = Listing.objects.select_related("connection").filter(pk=pk).first()
    if listing is None:
        raise Http404
    return listing


@permission_required_403("marketplaces.sync_shopconnection")
@require_POST
def listing_link(request, pk: int):
    listing = _listing(pk)
    form = LinkForm(request.POST)
    sku = form.data.get("sku", "").strip()
    variant = Variant.objects.filter(sku=sku).first() if sku else None
    if sku and variant is None:
        messages.error(request, _("No product has the SKU “%(sku)s”.") % {"sku": sku})
    else:
        try:
            services.listing_link(listing=listing, variant=variant, actor=request.user)
        except DomainError as exc:
            _problem(request, exc)
        else:
            messages.success(request, _("Listing linked.") if variant else _("Listing unlinked."))
    return redirect(
        reverse("marketplaces:listing_list", args=[listing.connection_id]) + "?show=unmatched"
    )


@permission_required_403("marketplaces.sync_shopconnection")
@require_POST
def listing_create_product(request, pk: int):
    listing = _listing(pk)
    try:
        product = services.listing_create_product(listing=listing, actor=request.user)
    except DomainError as exc:
        _problem(request, exc)
    else:
        messages.success(
            request,
            _("Product %(sku)s created from the listing and linked.") % {"sku": product.sku},
        )
    return redirect(
        reverse("marketplaces:listing_list", args=[listing.connection_id]) + "?show=unmatched"
    )


@permission_required_403("marketplaces.sync_shopconnection")
def product_publish(request, pk: int):
    connection = _connection(pk)
    if request.method == "POST":
        product = Product.objects.filter(pk=request.POST.get("product") or 0).first()
        if product is None:
            messages.error(request, _("Choose a product."))
        else:
            try:
                services.product_publish(connection=connection, product=product, actor=request.user)
            except DomainError as exc:
                _problem(request, exc)
            else:
                messages.success(
                    request,
                    _("%(sku)s is being listed on the shop.") % {"sku": product.sku},
                )
                return redirect("marketplaces:connection_detail", connection.pk)
    return render(
        request,
        "marketplaces/product_publish.html",
        {
            "connection": connection,
            "products": selectors.products_to_publish(
                connection=connection, q=request.GET.get("q", "")
            ),
            "q": request.GET.get("q", ""),
        },
    )


@permission_required_403("marketplaces.view_shopconnection")
@require_GET
def push_log(request, pk: int):
    connection = _connection(pk)
    return render(
        request,
        "marketplaces/push_log.html",
        {
            "connection": connection,
            "pushes": selectors.stock_push_list(connection=connection, limit=500),
        },
    )


@permission_required_403("marketplaces.view_shopconnection")
@require_GET
def order_list(request, pk: int):
    connection = _connection(pk)
    problems = request.GET.get("problems") == "1"
    return render(
        request,
        "marketplaces/order_list.html",
        {
            "connection": connection,
            "problems": problems,
            "orders": selectors.marketplace_order_list(
                connection=connection, problems_only=problems, limit=500
            ),
        },
    )


def _marketplace_order(pk: int) -> MarketplaceOrder:
    mo = MarketplaceOrder.objects.select_related("connection", "order").filter(pk=pk).first()
    if mo is None:
        raise Http404
    return mo


def _back_to(mo: MarketplaceOrder):
    if mo.order_id:
        return redirect("orders:order_detail", mo.order.code)
    return redirect("marketplaces:order_list", mo.connection_id)


@permission_required_403("orders.fulfil_order")
@require_POST
def order_arrange(request, pk: int):
    mo = _marketplace_order(pk)
    try:
        mo = services.marketplace_order_arrange_shipment(marketplace_order=mo, actor=request.user)
    except (DomainError, IntegrationError) as exc:
        _problem(request, exc)
    else:
        messages.success(
            request,
            _("Shipment arranged with the marketplace; tracking number %(number)s.")
            % {"number": mo.tracking_number or "—"},
        )
    return _back_to(mo)


@permission_required_403("orders.view_order")
@require_GET
def order_label(request, pk: int):
    mo = _marketplace_order(pk)
    try:
        document = services.marketplace_order_shipping_document(
            marketplace_order=mo, actor=request.user
        )
    except (DomainError, IntegrationError) as exc:
        _problem(request, exc)
        return _back_to(mo)
    response = HttpResponse(document.content, content_type=document.content_type)
    extension = "pdf" if document.content_type == "application/pdf" else "bin"
    response["Content-Disposition"] = f'attachment; filename="label-{mo.external_id}.{extension}"'
    return response


@permission_required_403("marketplaces.sync_shopconnection")
@require_POST
def order_refresh(request, pk: int):
    mo = _marketplace_order(pk)
    try:
        services.order_refresh(connection=mo.connection, order_id=mo.external_id, source="manual")
    except (DomainError, IntegrationError) as exc:
        _problem(request, exc)
    else:
        messages.success(request, _("Read again from the marketplace."))
    mo.refresh_from_db()
    return _back_to(mo)
