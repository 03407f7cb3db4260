"""Connecting a shop: authorize at the platform (redirect and callback), verify the shop, keep
its tokens fresh; its settings (stock rules, warehouses); disconnecting."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from donhang.core.audit import actor_user, audit
from donhang.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from donhang.core.integrations import (
    IntegrationError,
    PermanentError,
    http_client,
    translate_transport_errors,
)
from donhang.core.permissions import require_perm
from donhang.marketplaces.models import (
    ConnectionStatus,
    Environment,
    Listing,
    Platform,
    ShopConnection,
)
from donhang.marketplaces.ports import ReauthorizationNeeded
from donhang.marketplaces.registry import CREDENTIAL_FIELDS, build_adapter
from donhang.marketplaces.services._common import (
    REFRESH_AHEAD,
    adapter_for,
    connection_record_error,
    connection_tokens_refresh,
    enqueue_task,
    logged,
)
from donhang.orders.services import channel_rule_set, sales_store_save

# Where `make run` serves the site (the emulators' pushes and redirects come back there).
DEMO_CALLBACK_BASE = "http://127.0.0.1:8000"


@transaction.atomic
def connection_start(
    *,
    platform: str,
    name: str,
    credentials: dict | None = None,
    environment: str = Environment.PRODUCTION,
    base_url: str = "",
    options: dict | None = None,
    redirect_uri: str,
    connection: ShopConnection | None = None,
    actor=None,
) -> tuple[ShopConnection, str]:
    """Save a shop waiting for its seller's authorization (or start authorizing an existing one
    again) and return (connection, the platform's authorize address to send the seller to).
    The platform calls back `redirect_uri` with a code (connection_authorize)."""
    require_perm(
        actor,
        "marketplaces.change_shopconnection" if connection else "marketplaces.add_shopconnection",
    )
    errors = {}
    if connection is None:
        if platform not in Platform.values:
            errors["platform"] = _("Choose Shopee, Lazada or TikTok Shop.")
        if environment not in Environment.values:
            errors["environment"] = _("Unknown environment.")
        if not (name or "").strip():
            errors["name"] = _("This field is required.")
        given = {k: str(v).strip() for k, v in (credentials or {}).items() if v not in (None, "")}
        for field in CREDENTIAL_FIELDS.get(platform, ())[:2]:
            if not given.get(field):
                errors[field] = _("This field is required.")
        if errors:
            raise ValidationFailed(_("Some fields are not valid."), fields=errors)
        connection = ShopConnection(
            platform=platform,
            name=name.strip()[:100],
            environment=environment,
            base_url=(base_url or "").strip(),
            options=options or {},
            created_by=actor_user(actor),
        )
        connection.credentials = given
    else:
        connection = ShopConnection.objects.select_for_update().get(pk=connection.pk)
        if options:
            connection.options = {**connection.options, **options}
    connection.oauth_state = get_random_string(40)
    if connection.status == ConnectionStatus.DISABLED:
        connection.status = ConnectionStatus.PENDING
    connection.save()
    audit(
        actor=actor,
        action="marketplace.connect_start",
        obj=connection,
        summary=f"{connection.platform} {connection.name}",
    )
    url = adapter_for(connection, tokens=False).authorize_url(
        redirect_uri=redirect_uri, state=connection.oauth_state
    )
    return connection, url


def connection_authorize(*, state: str, code: str, shop_id: str = "", actor=None) -> ShopConnection:
    """The platform's callback: exchange the one-time code for tokens, ask the platform which
    shop they open (verified, not taken from the callback), store both (tokens encrypted) and
    make the shop a channel of its own. The calls run outside any transaction."""
    connection = ShopConnection.objects.filter(oauth_state=state).first() if state else None
    if connection is None:
        raise NotFound(
            _("This authorization link is unknown or was already used. Start connecting again."),
            fields={"state": _("Unknown.")},
        )
    if not code:
        raise ValidationFailed(
            _("The platform did not authorize the shop (no code). Try connecting again."),
            fields={"code": _("Missing.")},
        )
    adapter = adapter_for(connection, tokens=False)
    tokens = logged(
        connection,
        "token_create",
        str(connection.pk),
        lambda: adapter.exchange_code(code=code, shop_id=shop_id),
    )
    verified_adapter = build_adapter(
        platform=connection.platform,
        environment=connection.environment,
        base_url=connection.base_url,
        credentials=connection.credentials,
        tokens={"access_token": tokens.access_token},
        shop={"shop_id": tokens.shop_id or shop_id},
        options=connection.options,
    )
    info = logged(connection, "shop_info", str(connection.pk), verified_adapter.shop_info)
    shop_external_id = info.shop_id or tokens.shop_id or shop_id
    with transaction.atomic():
        connection = ShopConnection.objects.select_for_update().get(pk=connection.pk)
        if connection.oauth_state != state:
            raise Conflict(_("This authorization was already completed."), code="used_state")
        other = (
            ShopConnection.objects.filter(
                platform=connection.platform, shop_external_id=shop_external_id
            )
            .exclude(pk=connection.pk)
            .first()
        )
        if other is not None:
            # Its orders and listings belong to that connection: authorize it again there.
            raise Conflict(
                _(
                    "This shop is already connected as “%(name)s”: open it under Integrations "
                    "and authorize it again there."
                )
                % {"name": other.name},
                fields={"shop": _("Already connected.")},
                code="duplicate_shop",
            )
        connection.tokens = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
        }
        connection.access_expires_at = tokens.access_expires_at
        connection.refresh_expires_at = tokens.refresh_expires_at
        connection.tokens_refreshed_at = timezone.now()
        connection.shop_external_id = shop_external_id
        connection.shop_name = info.name[:150]
        connection.region = info.region[:20]
        if info.cipher:
            connection.options = {**connection.options, "shop_cipher": info.cipher}
        connection.status = ConnectionStatus.CONNECTED
        connection.oauth_state = ""
        connection.last_error = ""
        connection.last_sync_at = timezone.now()
        connection.store = sales_store_save(
            channel=connection.platform,
            external_id=shop_external_id,
            name=info.name or connection.name,
            actor=actor,
        )
        connection.save()
        audit(
            actor=actor,
            action="marketplace.connected",
            obj=connection,
            summary=f"{connection.platform} {shop_external_id} {info.name}",
        )
        enqueue_task("pull_products_task", connection.pk)
        enqueue_task("poll_orders_task", connection.pk)
    return connection


@transaction.atomic
def connection_settings_save(
    *,
    connection: ShopConnection,
    name: str | None = None,
    stock_percent: int | None = None,
    stock_buffer: int | None = None,
    warehouse_ids=None,
    strategy: str | None = None,
    options: dict | None = None,
    actor=None,
) -> ShopConnection:
    """The shop's own rules: how much of the available stock it shows (a percentage, units kept
    back) and which warehouses its orders reserve from. Changed rules republish the stock."""
    require_perm(actor, "marketplaces.change_shopconnection")
    connection = ShopConnection.objects.select_for_update().get(pk=connection.pk)
    errors = {}
    if name is not None and not name.strip():
        errors["name"] = _("This field is required.")
    if stock_percent is not None and not (0 <= int(stock_percent) <= 100):
        errors["stock_percent"] = _("Enter a percentage from 0 to 100.")
    if stock_buffer is not None and int(stock_buffer) < 0:
        errors["stock_buffer"] = _("Enter 0 or more units.")
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    before = (connection.stock_percent, connection.stock_buffer)
    if name is not None:
        connection.name = name.strip()[:100]
    if stock_percent is not None:
        connection.stock_percent = int(stock_percent)
    if stock_buffer is not None:
        connection.stock_buffer = int(stock_buffer)
    if options:
        connection.options = {**connection.options, **options}
    connection.save()
    if strategy is not None and connection.store_id:
        channel_rule_set(
            channel=connection.platform,
            store=connection.store,
            strategy=strategy,
            warehouse_ids=warehouse_ids or [],
            actor=actor,
        )
        before = None  # other warehouses: other quantities
    if before != (connection.stock_percent, connection.stock_buffer):
        Listing.objects.filter(connection=connection, variant__isnull=False).update(
            stock_dirty_at=timezone.now()
        )
    audit(
        actor=actor,
        action="marketplace.settings",
        obj=connection,
        summary=f"{connection.stock_percent}% −{connection.stock_buffer}",
    )
    return connection


@transaction.atomic
def connection_disconnect(*, connection: ShopConnection, actor=None) -> ShopConnection:
    """Stop syncing the shop and forget its tokens; its orders and listings stay."""
    require_perm(actor, "marketplaces.change_shopconnection")
    connection = ShopConnection.objects.select_for_update().get(pk=connection.pk)
    connection.status = ConnectionStatus.DISABLED
    connection.tokens = {}
    connection.oauth_state = ""
    connection.save()
    if connection.store_id:
        sales_store_save(
            channel=connection.store.channel,
            external_id=connection.store.external_id,
            name=connection.store.name,
            is_active=False,
            actor=actor,
        )
    audit(actor=actor, action="marketplace.disconnect", obj=connection, summary=str(connection))
    return connection


def connections_refresh_due(*, now=None) -> int:
    """Refresh the access tokens that expire soon, before any call finds them expired."""
    now = now or timezone.now()
    due = ShopConnection.objects.filter(
        status=ConnectionStatus.CONNECTED, access_expires_at__lt=now + REFRESH_AHEAD
    )
    refreshed = 0
    for connection in due:
        try:
            connection_tokens_refresh(
                connection_id=connection.pk,
                expired_access_token=connection.tokens.get("access_token", ""),
            )
            refreshed += 1
        except ReauthorizationNeeded:
            continue
        except IntegrationError as exc:
            connection_record_error(connection, exc)
    return refreshed


def connection_get(*, pk: int) -> ShopConnection:
    connection = ShopConnection.objects.select_related("store").filter(pk=pk).first()
    if connection is None:
        raise NotFound(_("This shop connection does not exist."))
    return connection


def connections_emulator_authorize(*, callback_base: str = "") -> list[int]:
    """The demo's shops on the emulators authorize themselves: what the seller's browser does
    (open the authorize page, follow it back to our callback) done here, for connections in the
    "emulator" environment marked auto_authorize only. Run by the scheduler, so that `make run`
    connects them once the emulators are up and again after an emulator restarted (it forgets
    every token). Returns the connections authorized."""
    base = (callback_base or getattr(settings, "PUBLIC_BASE_URL", "") or DEMO_CALLBACK_BASE).rstrip(
        "/"
    )
    done = []
    for connection in ShopConnection.objects.filter(environment=Environment.EMULATOR):
        if not connection.options.get("auto_authorize"):
            continue
        if connection.status == ConnectionStatus.DISABLED:
            continue
        if connection.status == ConnectionStatus.CONNECTED and not _emulator_forgot(connection):
            continue
        redirect_uri = f"{base}/marketplaces/oauth/{connection.platform}/callback/"
        try:
            connection, url = connection_start(
                platform=connection.platform,
                name=connection.name,
                connection=connection,
                redirect_uri=redirect_uri,
            )
            parts = urlsplit(url)
            with (
                translate_transport_errors(),
                http_client(f"{parts.scheme}://{parts.netloc}") as client,
            ):
                answer = client.get(url)
            back = parse_qs(urlsplit(answer.headers.get("location", "")).query)
            connection_authorize(
                state=(back.get("state") or [connection.oauth_state])[0],
                code=(back.get("code") or [""])[0],
                shop_id=(back.get("shop_id") or [""])[0],
            )
        except (IntegrationError, DomainError) as exc:
            connection_record_error(connection, exc)
            continue
        done.append(connection.pk)
    return done


def _emulator_forgot(connection: ShopConnection) -> bool:
    """A connected emulator shop whose last call failed since its last success: ask the shop;
    an emulator that restarted no longer knows our tokens."""
    if not connection.last_error_at or (
        connection.last_sync_at and connection.last_sync_at > connection.last_error_at
    ):
        return False
    try:
        adapter_for(connection).shop_info()
    except PermanentError:
        return True
    except IntegrationError:
        return False
    return False
