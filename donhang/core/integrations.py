"""Shared plumbing of outside integrations: error kinds, HTTP clients, the call log, retries.

Adapters raise exactly one of three error kinds; tasks retry only RetryableError, with backoff.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from django.conf import settings
from django.utils import timezone


class IntegrationError(Exception):
    def __init__(self, message: str, *, code: str = "", details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}


class RetryableError(IntegrationError):
    """Try again later: timeouts, 5xx, rate limits, "system busy"."""


class PermanentError(IntegrationError):
    """Retrying will not help: invalid data, unknown id, refused by the provider."""


class Unsupported(IntegrationError):
    """The provider has no such capability."""


# Transports for tests and the demo: {base URL prefix: httpx transport}. Real hosts never
# appear here; a connection points at an emulator by configuration (its base URL).
_TRANSPORTS: dict[str, httpx.BaseTransport] = {}


def register_transport(base_url: str, transport: httpx.BaseTransport | None) -> None:
    """Route requests for base_url through `transport` (in-process emulators); None removes it."""
    if transport is None:
        _TRANSPORTS.pop(base_url.rstrip("/"), None)
    else:
        _TRANSPORTS[base_url.rstrip("/")] = transport


def http_client(
    base_url: str, *, timeout: float = 15.0, headers: dict | None = None
) -> httpx.Client:
    """An httpx client with explicit timeouts (connect 5 s, others `timeout`)."""
    transport = _TRANSPORTS.get(base_url.rstrip("/"))
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=5.0),
        headers=headers or {},
        transport=transport,
    )


@contextmanager
def translate_transport_errors():
    """httpx failures → our error kinds: a timeout or a connection problem is retryable."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise RetryableError(f"timeout: {exc.__class__.__name__}", code="timeout") from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"connection failed: {exc}", code="connection") from exc


def check_http_status(response: httpx.Response) -> None:
    if response.status_code == 429:
        raise RetryableError("rate limited (HTTP 429)", code="rate_limited")
    if response.status_code >= 500:
        raise RetryableError(
            f"provider error (HTTP {response.status_code})", code=f"http_{response.status_code}"
        )


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 10.0  # seconds; doubles each attempt
    max_delay: float = 900.0

    def delay(self, attempt: int) -> timedelta:
        seconds = min(self.base_delay * 2 ** max(attempt - 1, 0), self.max_delay)
        return timedelta(seconds=seconds * retry_delay_scale())


def retry_delay_scale() -> float:
    """RETRY_DELAY_SCALE (setting, or DONHANG_RETRY_DELAY_SCALE in the environment): every retry
    backoff multiplied by it; 1 unless a test or a demo wants retries sooner."""
    value = getattr(settings, "RETRY_DELAY_SCALE", None)
    if value is None:
        value = os.environ.get("DONHANG_RETRY_DELAY_SCALE", "")
    try:
        return float(value) if value not in (None, "") else 1.0
    except ValueError:
        return 1.0


DEFAULT_RETRY = RetryPolicy()


def log_call(
    *,
    service: str,
    operation: str,
    reference: str,
    attempt: int,
    ok: bool,
    error: str = "",
    started: float,
    detail: dict | None = None,
):
    """Write one attempt to the visible integration log (staff see it on the object's page)."""
    from donhang.core.models import IntegrationCall

    return IntegrationCall.objects.create(
        service=service,
        operation=operation,
        reference=reference[:120],
        attempt=attempt,
        ok=ok,
        error=error[:1000],
        duration_ms=int((time.perf_counter() - started) * 1000),
        detail=detail or {},
        at=timezone.now(),
    )
