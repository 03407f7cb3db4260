"""Answers for a server that is busy or has lost its database: 503 with Retry-After, never 500.

`ServiceUnavailableMiddleware` (first in MIDDLEWARE) turns a request that failed because the
database could not be reached or was busy (connection refused or lost, PostgreSQL shutting down
or restarting, too many connections, a deadlock or serialisation failure, SQLite's "database
is locked") into 503 with `Retry-After`. The transaction of that request was rolled back:
nothing of it was written. A real bug (a missing column, bad SQL) stays a 500.

`ConcurrencyLimitMiddleware` sheds load: at most MAX_CONCURRENT_REQUESTS requests of one web
process do their work at once (0: no limit); a request over it waits up to
MAX_QUEUE_WAIT_SECONDS for a slot and otherwise answers 503 at once, without touching the
database. With gunicorn's threaded workers (`--threads` above the limit) the spare threads
answer the overflow quickly instead of letting it queue until clients time out."""

from __future__ import annotations

import logging
import sys
import threading

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
_UNAVAILABLE = "_donhang_database_unavailable"

# SQLite raises OperationalError for bugs too ("no such column"); only these are a busy database.
_SQLITE_BUSY_WORDS = ("locked", "busy", "unable to open database", "disk i/o error")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True for errors that say the database is down, restarting, overloaded or busy."""
    if isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        cause = exc.__cause__ or exc.__context__
        if cause is not None and type(cause).__module__.startswith("sqlite3"):
            return any(word in str(exc).lower() for word in _SQLITE_BUSY_WORDS)
        # PostgreSQL's OperationalErrors are connection failures, shutdowns, too many clients,
        # deadlocks, serialisation failures and cancelled statements: all worth a retry.
        return True
    return False


def unavailable_response(request, *, reason: str = "database") -> HttpResponse:
    if reason == "busy":
        message = _("The server is busy. Please try again in a moment.")
    else:
        message = _("The service is briefly unavailable. Please try again in a moment.")
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        response = JsonResponse(
            {"error": {"code": "unavailable", "message": message, "fields": {}}}, status=503
        )
    else:
        response = HttpResponse(
            f"<!doctype html><title>503</title><p>{message}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged here (one warning, throttled for shedding), not once more as an error per request.
    response._has_been_logged = True
    return response


def _mark_unavailable(sender, request=None, **kwargs):
    """Django turned an exception raised inside a middleware (a session saved after the view)
    into a 500 response: remember when it was the database, so the outer middleware answers
    503 instead."""
    if request is not None and is_database_unavailable(sys.exc_info()[1]):
        setattr(request, _UNAVAILABLE, True)


got_request_exception.connect(_mark_unavailable, dispatch_uid="donhang-database-unavailable")


class ServiceUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _UNAVAILABLE, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            logger.warning(
                "database unavailable on %s %s: %s", request.method, request.path, exception
            )
            return unavailable_response(request)
        return None


class ConcurrencyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = int(getattr(settings, "MAX_CONCURRENT_REQUESTS", 0) or 0)
        self.wait = float(getattr(settings, "MAX_QUEUE_WAIT_SECONDS", 2))
        self.slots = threading.BoundedSemaphore(self.limit) if self.limit > 0 else None
        self.shed = 0

    def __call__(self, request):
        if self.slots is None:
            return self.get_response(request)
        if not self.slots.acquire(timeout=self.wait):
            self.shed += 1
            if self.shed == 1 or self.shed % 100 == 0:
                logger.warning("overloaded: %s requests shed so far", self.shed)
            return unavailable_response(request, reason="busy")
        try:
            return self.get_response(request)
        finally:
            self.slots.release()
