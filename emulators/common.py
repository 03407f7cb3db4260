"""Shared plumbing for the carrier emulators.

* ``JsonApp``: a tiny WSGI application on Werkzeug with exact-path routing, JSON helpers and
  HTTP-level fault injection (5xx, 429) applied before the handler runs.
* ``Clock``: the emulator's controllable clock (Vietnam time, UTC+7); nothing reads the wall clock.
* ``Faults``: deterministic fault injection (seeded ``random.Random``). Rules either fire for the
  next ``n`` matching calls or with a probability ``rate``; ``paths`` restricts a rule to request
  paths containing one of the given substrings. Paths under ``/_emulator/`` are never faulted.
  Kinds: HTTP error (500/502/503, or a tuple to pick from), rate limit (429 + ``Retry-After``),
  timeout. Timeouts only exist in-process through ``FaultyTransport`` (a real socket server cannot
  fake a client-side timeout without sleeping, and the emulators never sleep). "Lost answer"
  (``lose_answer_next``/``lose_answer_rate``): the app handles the request (an invoice is
  created), then the answer is replaced by a 504 Gateway Time-out, as a proxy that gave up would.
* ``JsonApp.add_prefix``: routes whose path continues after a fixed prefix (a tax code in the path).
* e-invoice helpers shared by the SInvoice and MISA emulators: ``vnd_in_words`` (amount in words),
  ``mst_valid`` (Vietnamese tax code check digit), ``vat_close`` (a line's VAT against its
  pre-tax amount) and ``invoice_pdf`` (a small real PDF of an invoice).
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

import io
import itertools
import json
import random
import threading
import traceback
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import font_roboto
import httpx
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
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
    kind: str  # "http" | "timeout" | "lost"
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

    def lose_answer_next(self, n: int = 1, paths=None, status: int = 504) -> None:
        """Handle the next ``n`` matching calls, then drop the answer (HTTP ``status`` instead)."""
        self.rules.append(FaultRule("lost", status, remaining=n, paths=self._paths(paths)))

    def lose_answer_rate(self, rate: float, paths=None, status: int = 504) -> None:
        self.rules.append(FaultRule("lost", status, rate=rate, paths=self._paths(paths)))

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

    def lost_fault(self, path: str) -> int | None:
        """The status replacing a handled request's answer, or None (answer delivered)."""
        rule = self._take("lost", path)
        if rule is None:
            return None
        status = rule.status if isinstance(rule.status, int) else self.rng.choice(rule.status)
        self.injected.append((path, "lost", status))
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
    reason = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Time-out",
    }
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
        self.prefix_routes: list[tuple[str, tuple[str, ...], Handler]] = []
        self.calls: list[tuple[str, str]] = []  # (method, path) of every request seen
        self.allow_get = allow_get

    def add(self, path: str, handler: Handler, methods: Iterable[str] = ("POST",)) -> None:
        self.routes[path] = (tuple(methods), handler)

    def add_prefix(self, prefix: str, handler: Handler, methods: Iterable[str] = ("POST",)) -> None:
        """Route every path ``prefix + <something>`` (exact routes win; longest prefix first)."""
        self.prefix_routes.append((prefix, tuple(methods), handler))
        self.prefix_routes.sort(key=lambda r: -len(r[0]))

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
            entry = next(
                ((m, h) for prefix, m, h in self.prefix_routes if path.startswith(prefix)), None
            )
        if entry is None:
            return json_response({"code": 404, "message": f"Not found: {path}"}, 404)
        methods, handler = entry
        if request.method not in methods and request.method != "OPTIONS":
            return json_response({"code": 405, "message": "Method not allowed"}, 405)
        try:
            response = handler(request)
        except Exception:  # the emulator's own bug: make it visible
            return json_response(
                {"code": 500, "message": "emulator error", "trace": traceback.format_exc()}, 500
            )
        lost = self.faults.lost_fault(path)
        if lost is not None:
            return fault_response(lost)
        return response

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


# --------------------------------------------------------------------------- e-invoice helpers
# Shared by the SInvoice and MISA emulators. Written from the reference (section 7), not from
# donhang's own code, so that a misreading on one side shows up as a refusal on the other.

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUPS = ("triệu", "nghìn", "")


def _group_words(n: int, full: bool) -> list[str]:
    """Words of a 3-digit group; ``full`` when a higher group precedes it ("không trăm", "linh")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    out: list[str] = []
    if hundreds or full:
        out += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and (hundreds or full):
            out.append("linh")
    elif tens == 1:
        out.append("mười")
    else:
        out += [_DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        out.append("mốt")
    elif units == 5 and tens >= 1:
        out.append("lăm")
    elif units:
        out.append(_DIGITS[units])
    return out


def _number_words(n: int, full: bool = False) -> list[str]:
    """Words of n > 0: the part above a billion read the same way and followed by "tỷ"."""
    out: list[str] = []
    if n >= 10**9:
        out += [*_number_words(n // 10**9, full), "tỷ"]
        n %= 10**9
        full = True
    for size, name in zip((10**6, 10**3, 1), _GROUPS, strict=True):
        group = n // size % 1000
        if group:
            out += _group_words(group, full)
            if name:
                out.append(name)
        if group or out:
            full = True
    return out


def vnd_in_words(amount: int) -> str:
    """An amount in Vietnamese words, capitalised, ending "đồng" (reference section 7).

    3-digit groups with nghìn / triệu / tỷ; "mười" for 10–19, else "mươi"; a trailing 1 after
    tens ≥ 2 is "mốt"; a trailing 5 after tens ≥ 1 is "lăm"; zero tens before a unit is "linh";
    an empty hundreds inside the number is "không trăm". 1 250 000 → "Một triệu hai trăm năm
    mươi nghìn đồng". Negative amounts read as their absolute value.
    """
    amount = abs(int(amount))
    text = " ".join((_number_words(amount) if amount else ["không"]) + ["đồng"])
    return text[0].upper() + text[1:]


def normalise_words(text: str) -> str:
    """Whitespace collapsed, NFC, without a final full stop (the only leniencies allowed)."""
    text = " ".join(unicodedata.normalize("NFC", str(text or "")).split())
    return text[:-1].rstrip() if text.endswith(".") else text


_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def mst_valid(code: str, *, personal_id: bool = False) -> bool:
    """A Vietnamese tax code (MST): 10 digits, or 10 + "-" + 001–999 for a dependent unit.

    Check digit (reference section 7): weights 31,29,23,19,17,13,7,5,3 on N1–N9, c = 10 − (Σ mod
    11); invalid when c = 10, c ≠ N10, or N3–N9 are all zero. ``personal_id=True`` also accepts the
    12-digit personal ID number individuals use as tax code since 1 July 2025 (format only).
    """
    code = str(code or "").strip()
    if personal_id and len(code) == 12 and code.isdigit():
        return True
    base, _, branch = code.partition("-")
    if len(base) != 10 or not base.isdigit():
        return False
    if "-" in code and (len(branch) != 3 or not branch.isdigit() or branch == "000"):
        return False
    if base[2:9] == "0000000":
        return False
    check = 10 - sum(w * int(d) for w, d in zip(_MST_WEIGHTS, base[:9], strict=True)) % 11
    return check != 10 and check == int(base[9])


def round_half_up(value) -> int:
    """Nearest whole đồng, halves away from zero (no float: ``value`` may be a Decimal/str)."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def vat_close(pre_tax, vat, rate_percent) -> bool:
    """A line's VAT is its pre-tax amount × rate rounded, or one đồng off.

    Prices include VAT, so for some grosses no whole-đồng net gives exactly the rounded VAT; the
    providers accept the đồng that rounding leaves (both directions).
    """
    expected = round_half_up(abs(Decimal(str(pre_tax))) * Decimal(str(rate_percent)) / 100)
    return abs(abs(Decimal(str(vat))) - expected) <= 1


def _vnd(value) -> str:
    return f"{int(value or 0):,}".replace(",", ".")


def _ensure_fonts() -> None:
    if "Roboto" not in pdfmetrics.getRegisteredFontNames():
        folder = Path(font_roboto.__file__).parent / "files"
        pdfmetrics.registerFont(TTFont("Roboto", str(folder / "Roboto-Regular.ttf")))
        pdfmetrics.registerFont(TTFont("Roboto-Bold", str(folder / "Roboto-Bold.ttf")))


def invoice_pdf(doc: dict) -> bytes:
    """A one-or-more-page A4 PDF of an issued invoice (Roboto, so Vietnamese renders).

    ``doc``: provider, title, template, series, number, date, seller{name, tax_code, address},
    buyer{name, legal_name, tax_code, address}, lines[{no, name, unit, quantity, price, amount,
    rate, vat}], rows[{rate, net, vat}], net, vat, total, words, cqt_code, lookup_code, notes[].
    """
    _ensure_fonts()
    buf = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setTitle(f"{doc.get('series', '')} {doc.get('number', '')}".strip() or "Hóa đơn")
    margin = 15 * mm
    y = height - margin

    def line(text: str, font: str = "Roboto", size: float = 9.5, x: float = margin) -> None:
        nonlocal y
        pdf.setFont(font, size)
        for part in simpleSplit(str(text), font, size, width - x - margin) or [""]:
            if y < margin + size:
                pdf.showPage()
                y = height - margin
                pdf.setFont(font, size)
            y -= size * 1.35
            pdf.drawString(x, y, part)

    def row(cells: list[tuple[float, str]], font: str = "Roboto", size: float = 8.5) -> None:
        nonlocal y
        if y < margin + 2 * size:
            pdf.showPage()
            y = height - margin
        y -= size * 1.45
        pdf.setFont(font, size)
        for x, text in cells:
            if x < 0:  # right-aligned at -x
                pdf.drawRightString(-x, y, str(text))
            else:
                pdf.drawString(x, y, str(text)[:48])

    seller, buyer = doc.get("seller") or {}, doc.get("buyer") or {}
    line(doc.get("title") or "HÓA ĐƠN GIÁ TRỊ GIA TĂNG", "Roboto-Bold", 15)
    line(f"(Hóa đơn điện tử — {doc.get('provider', '')})", size=8.5)
    line(
        f"Mẫu số: {doc.get('template', '')}   Ký hiệu: {doc.get('series', '')}   "
        f"Số: {doc.get('number', '')}   Ngày: {doc.get('date', '')}",
        "Roboto-Bold",
        10.5,
    )
    if doc.get("cqt_code"):
        line(f"Mã của cơ quan thuế: {doc['cqt_code']}")
    for note in doc.get("notes") or []:
        line(note, "Roboto-Bold", 9.5)
    y -= 4
    line(f"Đơn vị bán hàng: {seller.get('name', '')}", "Roboto-Bold")
    line(f"Mã số thuế: {seller.get('tax_code', '')}")
    if seller.get("address"):
        line(f"Địa chỉ: {seller['address']}")
    y -= 4
    if buyer.get("name"):
        line(f"Họ tên người mua hàng: {buyer['name']}")
    if buyer.get("legal_name"):
        line(f"Tên đơn vị: {buyer['legal_name']}", "Roboto-Bold")
    if buyer.get("tax_code"):
        line(f"Mã số thuế: {buyer['tax_code']}")
    if buyer.get("address"):
        line(f"Địa chỉ: {buyer['address']}")
    y -= 4
    cols = [margin, margin + 8 * mm, -(margin + 112 * mm), -(margin + 135 * mm)]
    cols += [-(margin + 158 * mm), -(margin + 167 * mm), -(width - margin)]
    head = ["STT", "Tên hàng hóa, dịch vụ", "SL", "Đơn giá", "Thành tiền", "TS", "Tiền thuế"]
    row(list(zip(cols, head, strict=True)), "Roboto-Bold")
    for item in doc.get("lines") or []:
        qty = item.get("quantity")
        values = [
            item.get("no", ""),
            f"{item.get('name', '')} ({item.get('unit') or ''})".replace(" ()", ""),
            "" if qty is None else f"{Decimal(str(qty)).normalize():f}",
            "" if item.get("price") is None else _vnd(round_half_up(item["price"])),
            _vnd(item.get("amount")),
            item.get("rate", ""),
            _vnd(item.get("vat")),
        ]
        row(list(zip(cols, values, strict=True)))
    y -= 4
    for rate_row in doc.get("rows") or []:
        line(
            f"Thuế suất {rate_row['rate']}: tiền trước thuế {_vnd(rate_row['net'])}, "
            f"tiền thuế {_vnd(rate_row['vat'])}"
        )
    line(f"Cộng tiền hàng: {_vnd(doc.get('net'))}")
    line(f"Tiền thuế GTGT: {_vnd(doc.get('vat'))}")
    line(f"Tổng tiền thanh toán: {_vnd(doc.get('total'))}", "Roboto-Bold", 10.5)
    line(f"Số tiền viết bằng chữ: {doc.get('words', '')}")
    if doc.get("lookup_code"):
        y -= 4
        line(f"Mã tra cứu: {doc['lookup_code']}", size=8.5)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
