"""Routing with regex paths, rate limits, timestamp windows and signed webhooks."""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from emulators.common import (
    Faults,
    JsonApp,
    WebhookDispatcher,
    WebhookEvent,
    fault_response,
    json_response,
)

# --------------------------------------------------------------------------- routing


class RouterApp(JsonApp):
    """``JsonApp`` with regex routes tried after the exact ones; groups become keyword args."""

    def __init__(self, faults: Faults | None = None):
        super().__init__(faults)
        self.patterns: list[tuple[re.Pattern, tuple[str, ...], Callable[..., Response]]] = []
        self.fallback: Callable[[Request], Response] | None = None

    def add_pattern(self, pattern: str, handler, methods: Iterable[str] = ("GET", "POST")):
        self.patterns.append((re.compile("^" + pattern + "$"), tuple(methods), handler))

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        if path in self.routes or path.startswith("/_emulator"):
            return super().dispatch(request)
        self.calls.append((request.method, path))
        status = self.faults.http_fault(path)
        if status is not None:
            return fault_response(status)
        for regex, methods, handler in self.patterns:
            match = regex.match(path)
            if match is None:
                continue
            if request.method not in methods:
                return json_response({"code": 405, "message": "Method not allowed"}, 405)
            try:
                return handler(request, **match.groupdict())
            except Exception:
                return json_response(
                    {"code": 500, "message": "emulator error", "trace": traceback.format_exc()},
                    500,
                )
        if self.fallback is not None:
            return self.fallback(request)
        return json_response({"code": 404, "message": f"Not found: {path}"}, 404)


# --------------------------------------------------------------------------- rate limits


class RateLimiter:
    """At most ``limit`` calls per ``period`` seconds per key (sliding window).

    ``hit(key)`` records a call and returns None, or refuses it (not recorded) and returns the
    seconds until a slot frees. ``limit=None`` disables limiting.
    """

    def __init__(
        self,
        limit: int | None,
        period: float = 1.0,
        time_source: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.period = period
        self.time_source = time_source
        self.windows: dict[Any, deque[float]] = {}
        self.refused = 0
        self.allowed = 0
        self._lock = threading.Lock()

    def configure(self, limit: int | None, period: float | None = None) -> None:
        with self._lock:
            self.limit = limit
            if period is not None:
                self.period = period
            self.windows.clear()

    def hit(self, key) -> float | None:
        if not self.limit:
            return None
        with self._lock:
            now = self.time_source()
            window = self.windows.setdefault(key, deque())
            while window and window[0] <= now - self.period:
                window.popleft()
            if len(window) >= self.limit:
                self.refused += 1
                return max(0.001, window[0] + self.period - now)
            window.append(now)
            self.allowed += 1
            return None

    def describe(self) -> dict:
        return {
            "limit": self.limit,
            "period": self.period,
            "allowed": self.allowed,
            "refused": self.refused,
        }


def timestamp_fresh(
    ts: float, emulator_now: float, *, past: float, future: float, wall: bool = True
) -> bool:
    """Is ``ts`` within [now - past, now + future] of the emulator clock, or (``wall``) of the
    machine's clock? Published clients sign with the machine's time while tests move the
    emulator's clock to expire tokens; accepting either keeps both working."""
    nows = [emulator_now] + ([time.time()] if wall else [])
    return any(now - past <= ts <= now + future for now in nows)


# --------------------------------------------------------------------------- webhooks


class SignedWebhooks(WebhookDispatcher):
    """Webhooks signed over the exact body bytes; ``replay`` re-sends delivered events."""

    def __init__(self, target=None, *, signer: Callable[[bytes], dict] | None = None, **kwargs):
        super().__init__(target, **kwargs)
        self.signer = signer
        self.ok_statuses = range(200, 300)

    def enqueue(self, payload: dict, headers: dict | None = None) -> WebhookEvent:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if self.signer is not None:
            hdrs.update(self.signer(body))
        copies = 2 if self.duplicate else 1
        with self._lock:
            events = [WebhookEvent(next(self._ids), body, dict(hdrs)) for _ in range(copies)]
            self.queue.extend(events)
        return events[0]

    def _attempt(self, event: WebhookEvent) -> bool:
        status = self._send(event)
        event.attempts += 1
        event.statuses.append(status)
        self.attempts.append((event.id, status))
        if status in self.ok_statuses:
            self.delivered.append(event)
            return True
        if event.attempts > self.max_retries:
            self.failed.append(event)
        else:
            with self._lock:
                self.queue.append(event)
                self.queue.sort(key=lambda e: e.id)
        return False

    def replay(self, n: int = 1) -> list[WebhookEvent]:
        """Queue the last ``n`` delivered events again (same body, same signature)."""
        with self._lock:
            originals = self.delivered[-n:] if n > 0 else []
            copies = [WebhookEvent(next(self._ids), e.body, dict(e.headers)) for e in originals]
            self.queue.extend(copies)
        return copies
