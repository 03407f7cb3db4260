"""Shared plumbing for the carrier emulators.

* ``JsonApp``: a tiny WSGI application on Werkzeug with exact-path routing, JSON helpers and
  HTTP-level fault injection (5xx, 429) applied before the handler runs.
* ``Clock``: the emulator's controllable clock (Vietnam time, UTC+7); nothing reads the wall clock.
* ``Faults``: deterministic fault injection (seeded ``random.Random``). Rules either fire for the
  next ``n`` matching calls or with a probability ``rate``; ``paths`` restricts a rule to request
  paths containing one of the given substrings. Paths under ``/_emulator/`` are never faulted.
  Kinds: HTTP error (500/502/503, or a tuple to pick from), rate limit (429 + ``Retry-After``),
  timeout. Timeouts only exist in-process through ``FaultyTransport`` (a real socket server cannot
  fake a client-side timeout without sleeping, and the emulators never sleep).
* ``FaultyTransport``: an ``httpx.BaseTransport`` around ``httpx.WSGITransport`` raising
  ``httpx.ConnectTimeout`` before the app sees the request, or ``httpx.ReadTimeout`` after the app
  processed it (the "unknown outcome" of a create).
* ``WebhookDispatcher``: queues events and delivers them on ``pump()`` to a URL (httpx, 5 s
  timeout) or to a callable ``callback(method, path, headers, body) -> status``. Non-200 answers
  (or exceptions) are retried on later ``pump()`` calls, up to ``max_retries`` retries, then the
  event is dead-lettered in ``failed``. ``duplicate=True`` enqueues every event twice;
  ``out_of_order=True`` holds back one fresh event and delivers it right after a later event has
  been sent (repeatedly: every other event is held). ``flush()`` releases everything.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import traceback
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx
from werkzeug.wrappers import Request, Response

VN_TZ = timezone(timedelta(hours=7), "ICT")
DEFAULT_START = datetime(2026, 1, 5, 8, 0, 0, tzinfo=VN_TZ)


# --------------------------------------------------------------------------- clock


class Clock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None):
        self._now = start or DEFAULT_START
        if self._now.tzinfo is None:
            self._now = self._now.replace(tzinfo=VN_TZ)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def timestamp(self) -> int:
        return int(self.now().timestamp())

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now


# --------------------------------------------------------------------------- text


def fold(text: Any) -> str:
    """Lower-case, diacritics-free, single-spaced text for lenient name comparison."""
    s = str(text or "").replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return " ".join(s.lower().split())


# --------------------------------------------------------------------------- faults


@dataclass
class FaultRule:
    kind: str  # "http" | "timeout"
    status: int | tuple[int, ...] = 500
    remaining: int | None = None  # None: rate-based, never exhausted
    rate: float = 1.0
    paths: tuple[str, ...] | None = None
    after: bool = False  # timeout after the app processed the request

    def matches(self, path: str) -> bool:
        return self.paths is None or any(p in path for p in self.paths)


class Faults:
    """Deterministic fault injection shared by an emulator's app and transport."""

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)
        self.rules: list[FaultRule] = []
        self.injected: list[tuple[str, str, int | str]] = []  # (path, kind, status|when)
        self._lock = threading.Lock()

    @staticmethod
    def _paths(paths: str | Iterable[str] | None) -> tuple[str, ...] | None:
        if paths is None:
            return None
        return (paths,) if isinstance(paths, str) else tuple(paths)

    def fail_next(self, n: int = 1, status: int | tuple[int, ...] = 500, paths=None) -> None:
        """Answer the next ``n`` matching calls with HTTP ``status`` (500/502/503/429)."""
        self.rules.append(FaultRule("http", status, remaining=n, paths=self._paths(paths)))

    def fail_rate(self, rate: float, status: int | tuple[int, ...] = (500, 502, 503), paths=None):
        """Answer a fraction ``rate`` of matching calls with an HTTP error."""
        self.rules.append(FaultRule("http", status, rate=rate, paths=self._paths(paths)))

    def rate_limit_next(self, n: int = 1, paths=None) -> None:
        self.fail_next(n, 429, paths)

    def rate_limit_rate(self, rate: float, paths=None) -> None:
        self.fail_rate(rate, 429, paths)

    def timeout_next(self, n: int = 1, *, after: bool = False, paths=None) -> None:
        """Time out the next ``n`` calls (``after=True``: once the app has processed them)."""
        self.rules.append(FaultRule("timeout", remaining=n, after=after, paths=self._paths(paths)))

    def timeout_rate(self, rate: float, *, after: bool = False, paths=None) -> None:
        self.rules.append(FaultRule("timeout", rate=rate, after=after, paths=self._paths(paths)))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def _take(self, kind: str, path: str) -> FaultRule | None:
        if path.startswith("/_emulator"):
            return None
        with self._lock:
            for rule in list(self.rules):
                if rule.kind != kind or not rule.matches(path):
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self.rules.remove(rule)
                    return rule
                if self.rng.random() < rule.rate:
                    return rule
        return None

    def http_fault(self, path: str) -> int | None:
        rule = self._take("http", path)
        if rule is None:
            return None
        status = rule.status
        if isinstance(status, tuple):
            status = self.rng.choice(status)
        self.injected.append((path, "http", status))
        return status

    def timeout_fault(self, path: str) -> str | None:
        """``"connect"`` (before the app), ``"read"`` (after it) or None."""
        rule = self._take("timeout", path)
        if rule is None:
            return None
        when = "read" if rule.after else "connect"
        self.injected.append((path, "timeout", when))
        return when

    def to_dict(self) -> dict:
        return {
            "rules": [
                {
                    "kind": r.kind,
                    "status": r.status,
                    "remaining": r.remaining,
                    "rate": r.rate,
                    "paths": r.paths,
                    "after": r.after,
                }
                for r in self.rules
            ],
            "injected": len(self.injected),
        }


def fault_response(status: int) -> Response:
    if status == 429:
        body = json.dumps({"code": 429, "message": "Too Many Requests"})
        return Response(body, 429, {"Retry-After": "1"}, content_type="application/json")
    reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    text = f"{status} {reason.get(status, 'Error')}"
    html = f"<html><head><title>{text}</title></head><body><center><h1>{text}</h1></center></body></html>"
    return Response(html, status, content_type="text/html")


class FaultyTransport(httpx.BaseTransport):
    """``httpx.WSGITransport`` that can time out before or after the app handles a request."""

    def __init__(self, app, faults: Faults):
        self.inner = httpx.WSGITransport(app=app)
        self.faults = faults

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        when = self.faults.timeout_fault(request.url.path)
        if when == "connect":
            raise httpx.ConnectTimeout("emulated connect timeout", request=request)
        response = self.inner.handle_request(request)
        if when == "read":
            response.read()  # the app did its work; the answer is lost
            raise httpx.ReadTimeout("emulated read timeout", request=request)
        return response


# --------------------------------------------------------------------------- WSGI app


Handler = Callable[[Request], Response]


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, default=str),
        status,
        content_type="application/json; charset=utf-8",
    )


class BadJson(ValueError):
    pass


def read_json(request: Request) -> dict:
    """The JSON object in the body (``{}`` when empty); query args fill missing keys."""
    raw = request.get_data()
    data: Any = {}
    if raw.strip():
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BadJson(str(exc)) from exc
    if not isinstance(data, dict):
        raise BadJson("body is not a JSON object")
    for key, value in request.args.items():
        data.setdefault(key, value)
    return data


class JsonApp:
    """Exact-path WSGI router with fault injection in front of every route."""

    def __init__(self, faults: Faults | None = None, *, allow_get: bool = False):
        self.faults = faults or Faults()
        self.routes: dict[str, tuple[tuple[str, ...], Handler]] = {}
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request seen
        self.allow_get = allow_get

    def add(self, path: str, handler: Handler, methods: Iterable[str] = ("POST",)) -> None:
        self.routes[path] = (tuple(methods), handler)

    def route(self, path: str, methods: Iterable[str] = ("POST",)):
        def decorator(handler: Handler) -> Handler:
            self.add(path, handler, methods)
            return handler

        return decorator

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        self.calls.append((request.method, path))
        status = self.faults.http_fault(path)
        if status is not None:
            return fault_response(status)
        entry = self.routes.get(path)
        if entry is None:
            return json_response({"code": 404, "message": f"Not found: {path}"}, 404)
        methods, handler = entry
        if request.method not in methods and request.method != "OPTIONS":
            return json_response({"code": 405, "message": "Method not allowed"}, 405)
        try:
            return handler(request)
        except Exception:  # the emulator's own bug: make it visible
            return json_response(
                {"code": 500, "message": "emulator error", "trace": traceback.format_exc()}, 500
            )

    def __call__(self, environ, start_response):
        response = self.dispatch(Request(environ))
        return response(environ, start_response)


# --------------------------------------------------------------------------- webhooks

Callback = Callable[[str, str, dict, bytes], int]


@dataclass
class WebhookEvent:
    id: int
    body: bytes
    headers: dict
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)

    def json(self) -> dict:
        return json.loads(self.body)


class WebhookDispatcher:
    """Queue of webhook events, delivered on ``pump()`` with carrier-like retries."""

    def __init__(
        self,
        target: str | Callback | None = None,
        *,
        path: str = "/",
        max_retries: int = 10,
        timeout: float = 5.0,
        duplicate: bool = False,
        out_of_order: bool = False,
    ):
        self.target = target
        self.path = path
        self.max_retries = max_retries
        self.timeout = timeout
        self.duplicate = duplicate
        self.out_of_order = out_of_order
        self.queue: list[WebhookEvent] = []
        self.delivered: list[WebhookEvent] = []  # in delivery order (duplicates included)
        self.failed: list[WebhookEvent] = []  # gave up after max_retries
        self.attempts: list[tuple[int, int]] = []  # (event id, status) of every attempt
        self._held: WebhookEvent | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pump_lock = threading.Lock()

    def enqueue(self, payload: dict, headers: dict | None = None) -> WebhookEvent:
        body = json.dumps(payload, ensure_ascii=False).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        copies = 2 if self.duplicate else 1
        with self._lock:
            events = [WebhookEvent(next(self._ids), body, dict(hdrs)) for _ in range(copies)]
            self.queue.extend(events)
        return events[0]

    @property
    def pending(self) -> list[WebhookEvent]:
        with self._lock:
            return list(self.queue) + ([self._held] if self._held else [])

    def _send(self, event: WebhookEvent) -> int:
        target = self.target
        try:
            if callable(target):
                return int(target("POST", self.path, dict(event.headers), event.body))
            if isinstance(target, str):
                r = httpx.post(
                    target, content=event.body, headers=event.headers, timeout=self.timeout
                )
                return r.status_code
        except Exception:
            return 0
        return 0

    def _attempt(self, event: WebhookEvent) -> bool:
        status = self._send(event)
        event.attempts += 1
        event.statuses.append(status)
        self.attempts.append((event.id, status))
        if status == 200:
            self.delivered.append(event)
            return True
        if event.attempts > self.max_retries:
            self.failed.append(event)
        else:
            with self._lock:
                self.queue.append(event)
                self.queue.sort(key=lambda e: e.id)
        return False

    def pump(self, flush: bool = False) -> int:
        """Try every queued event once; return how many were delivered (HTTP 200)."""
        if self.target is None:
            return 0
        with self._pump_lock:
            with self._lock:
                batch, self.queue = self.queue, []
                if self.out_of_order and not flush and self._held is None:
                    fresh = next((e for e in batch if e.attempts == 0), None)
                    if fresh is not None:
                        batch.remove(fresh)
                        self._held = fresh
            ok = 0
            sent_after_held = False
            for event in batch:
                ok += self._attempt(event)
                if self._held is not None and event.id > self._held.id:
                    sent_after_held = True
            held = self._held
            if held is not None and (flush or sent_after_held):
                self._held = None
                ok += self._attempt(held)
            return ok

    def flush(self) -> int:
        """Deliver everything queued, held-back event included (one attempt each)."""
        return self.pump(flush=True)

    def describe(self) -> dict:
        return {
            "target": self.target if isinstance(self.target, str) else repr(self.target),
            "pending": len(self.pending),
            "delivered": len(self.delivered),
            "failed": len(self.failed),
            "duplicate": self.duplicate,
            "out_of_order": self.out_of_order,
        }


def url_path(url: str) -> str:
    return urlsplit(url).path or "/"


# --------------------------------------------------------------------------- shared control


class ShipmentTimeline:
    """The control API both carrier emulators share: move an order to its next status (or a
    given one), fail the next delivery, let time pass, deliver queued webhooks.

    A subclass provides ``lock``, ``clock``, ``orders``, ``webhooks``, ``step_seconds``,
    ``return_window``, ``set_status(order, status, when=None, reason_code=None)`` and these
    class attributes/hooks: ``model`` (a module with TERMINAL, next_status(order) and
    DEFAULT_FAIL_REASON), ``known_statuses``, ``waiting_status`` (the status that waits
    ``return_window`` for the shop's decision), ``_parse_status(value)`` and ``_describe(order)``.
    """

    model: Any
    known_statuses: Any
    waiting_status: Any

    def order(self, code: str):
        try:
            return self.orders[str(code)]
        except KeyError:
            raise KeyError(f"unknown order {code!r}") from None

    def _parse_status(self, value):
        return value

    def _describe(self, order) -> dict:
        raise NotImplementedError

    def advance(self, code: str, to_status=None, reason_code=None) -> dict:
        """Move an order to its next status (or ``to_status``); returns its description."""
        with self.lock:
            order = self.order(code)
            if order.status in self.model.TERMINAL:
                raise ValueError(f"order {code} is {order.status} (terminal)")
            target = (
                self.model.next_status(order)
                if to_status is None
                else self._parse_status(to_status)
            )
            if target not in self.known_statuses:
                raise ValueError(f"unknown status {target!r}")
            self.set_status(order, target, reason_code=reason_code)
            return self._describe(order)

    def fail_next_delivery(self, code: str, reason_code: str | None = None) -> None:
        with self.lock:
            self.order(code).fail_next_delivery = reason_code or self.model.DEFAULT_FAIL_REASON

    def tick(self, seconds: float) -> int:
        """Advance the clock; move every active order along the timeline. Returns steps made."""
        with self.lock:
            target = self.clock.advance(seconds)
            moved = 0
            for order in sorted(self.orders.values(), key=lambda o: o.created):
                while (nxt := self.model.next_status(order)) is not None:
                    wait = (
                        self.return_window
                        if order.status == self.waiting_status
                        else self.step_seconds
                    )
                    due = order.status_time + timedelta(seconds=wait)
                    if due > target:
                        break
                    self.set_status(order, nxt, due)
                    moved += 1
            return moved

    def pump(self, flush: bool = False) -> int:
        return self.webhooks.pump(flush=flush)
