"""Shared pieces of the marketplace services: the adapter of a connection (with its token
refresh and throttle), task enqueueing, the health record."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from donhang.core.integrations import IntegrationError, log_call
from donhang.marketplaces.http import throttle_for
from donhang.marketplaces.models import ConnectionStatus, ShopConnection
from donhang.marketplaces.ports import MarketplaceAdapter, ReauthorizationNeeded, Tokens
from donhang.marketplaces.registry import build_adapter

T = TypeVar("T")

# Refresh an access token this long before it expires (the scheduler checks every few
# minutes; Shopee's live 4 hours).
REFRESH_AHEAD = timedelta(minutes=30)


def enqueue_task(name: str, *args, delay: timedelta | None = None, at_commit: bool = True) -> None:
    """Enqueue one of donhang.marketplaces.tasks once the current transaction commits."""

    def run():
        task = import_string(f"donhang.marketplaces.tasks.{name}")
        if delay and getattr(task.get_backend(), "supports_defer", False):
            task = task.using(run_after=timezone.now() + delay)
        task.enqueue(*args)

    if at_commit:
        transaction.on_commit(run)
    else:
        run()


def tokens_dict(tokens: Tokens) -> dict:
    return {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token}


def calls_per_second(connection: ShopConnection) -> float:
    value = connection.options.get("calls_per_second")
    if value in (None, ""):
        value = getattr(settings, "MARKETPLACE_CALLS_PER_SECOND", 10)
    return float(value)


def adapter_for(connection: ShopConnection, *, tokens: bool = True) -> MarketplaceAdapter:
    """The adapter of a connection. An access token the platform calls expired is refreshed
    (once for every worker: connection_tokens_refresh) and the call made again."""
    from_store = connection.tokens if tokens else {}
    return build_adapter(
        platform=connection.platform,
        environment=connection.environment,
        base_url=connection.base_url,
        credentials=connection.credentials,
        tokens=from_store,
        shop={
            "shop_id": connection.shop_external_id,
            "cipher": connection.options.get("shop_cipher", ""),
        },
        options=connection.options,
        on_token_expired=_refresher(connection.pk) if tokens else None,
        throttle=throttle_for(f"marketplace:{connection.pk}", calls_per_second(connection)),
    )


def _refresher(connection_id: int) -> Callable[[str], Tokens]:
    def refresh(expired_access_token: str) -> Tokens:
        return connection_tokens_refresh(
            connection_id=connection_id, expired_access_token=expired_access_token
        )

    return refresh


def connection_tokens_refresh(*, connection_id: int, expired_access_token: str = "") -> Tokens:
    """Refresh the shop's tokens and store them. Refresh tokens are single-use (Shopee): the
    connection row stays locked during the call, so that of two workers finding the token
    expired one refreshes and the other uses what it stored. When the stored access token is
    no longer `expired_access_token`, another worker refreshed it already: that is returned.

    A refusal (refresh token spent or expired, authorization withdrawn) marks the shop as
    needing the seller to authorize again and raises ReauthorizationNeeded."""
    started = time.perf_counter()
    with transaction.atomic():
        connection = ShopConnection.objects.select_for_update().get(pk=connection_id)
        stored = connection.tokens
        if expired_access_token and stored.get("access_token") != expired_access_token:
            return Tokens(
                access_token=stored.get("access_token", ""),
                refresh_token=stored.get("refresh_token", ""),
                access_expires_at=connection.access_expires_at,
                refresh_expires_at=connection.refresh_expires_at,
            )
        adapter = adapter_for(connection, tokens=False)
        try:
            fresh = adapter.refresh(refresh_token=stored.get("refresh_token", ""))
        except ReauthorizationNeeded as exc:
            connection.status = ConnectionStatus.REAUTHORIZE
            connection.last_error = f"{exc.message}"[:1000]
            connection.last_error_at = timezone.now()
            connection.save(update_fields=["status", "last_error", "last_error_at"])
            log_call(
                service=connection.platform,
                operation="token_refresh",
                reference=str(connection.pk),
                attempt=1,
                ok=False,
                error=exc.message,
                started=started,
            )
            # Kept: the transaction commits the status (the error propagates after it).
            refused = exc
        else:
            refused = None
            connection.tokens = {
                "access_token": fresh.access_token,
                "refresh_token": fresh.refresh_token or stored.get("refresh_token", ""),
            }
            connection.access_expires_at = fresh.access_expires_at
            if fresh.refresh_expires_at:
                connection.refresh_expires_at = fresh.refresh_expires_at
            connection.tokens_refreshed_at = timezone.now()
            connection.save(
                update_fields=[
                    "tokens_encrypted",
                    "access_expires_at",
                    "refresh_expires_at",
                    "tokens_refreshed_at",
                ]
            )
            log_call(
                service=connection.platform,
                operation="token_refresh",
                reference=str(connection.pk),
                attempt=1,
                ok=True,
                started=started,
            )
    if refused is not None:
        raise refused
    return fresh


def connection_record_success(connection: ShopConnection, **fields) -> None:
    """The shop answered: its health shows the sync time (and the fields given)."""
    now = timezone.now()
    ShopConnection.objects.filter(pk=connection.pk).update(last_sync_at=now, **fields)
    connection.last_sync_at = now
    for key, value in fields.items():
        setattr(connection, key, value)


def connection_record_error(connection: ShopConnection, exc: Exception) -> None:
    """What went wrong last, for the shop's health (the error stays until a later success
    clears it on the page: it says when it happened)."""
    message = getattr(exc, "message", None) or str(exc)
    now = timezone.now()
    fields = {"last_error": message[:1000], "last_error_at": now}
    if isinstance(exc, ReauthorizationNeeded):
        fields["status"] = ConnectionStatus.REAUTHORIZE
    ShopConnection.objects.filter(pk=connection.pk).update(**fields)
    for key, value in fields.items():
        setattr(connection, key, value)


def logged(connection: ShopConnection, operation: str, reference: str, fn: Callable[[], T]) -> T:
    """Call the platform, write the attempt to the integration log, keep the health."""
    started = time.perf_counter()
    try:
        result = fn()
    except IntegrationError as exc:
        log_call(
            service=connection.platform,
            operation=operation,
            reference=reference,
            attempt=1,
            ok=False,
            error=f"{exc.code}: {exc.message}" if exc.code else exc.message,
            started=started,
        )
        connection_record_error(connection, exc)
        raise
    log_call(
        service=connection.platform,
        operation=operation,
        reference=reference,
        attempt=1,
        ok=True,
        started=started,
    )
    return result
