"""What the marketplace clients share: a per-shop call throttle (platforms limit calls per
second per app and shop) and the one retry after an expired access token."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from donhang.core.integrations import RetryableError
from donhang.marketplaces.ports import RefreshCallback, TokenExpired

T = TypeVar("T")


class Throttle:
    """At most `per_second` calls per second from this process (0: unlimited). Shared by every
    client of the same shop, so that the stock sync and the order polling together stay under
    the platform's limit."""

    def __init__(self, per_second: float, *, clock=time.monotonic, sleep=time.sleep):
        self.per_second = float(per_second or 0)
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if self.per_second <= 0:
            return
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            # 2 % slower than the limit: a platform counting in a sliding window refuses a
            # call landing exactly on its edge, and a refusal costs a whole second.
            self._next = start + 1.02 / self.per_second
        if start > now:
            self.sleep(start - now)


_throttles: dict[str, Throttle] = {}
_fixed: dict[str, Throttle] = {}
_throttles_lock = threading.Lock()

# "Too many requests": waits (as long as the platform asks, at most MAX_WAIT each) before a
# call gives up with RetryableError("rate_limited"); the stock sync adds its own on top.
RATE_LIMIT_RETRIES = 3
MAX_WAIT = 30.0


def throttle_for(key: str, per_second: float) -> Throttle:
    with _throttles_lock:
        if key in _fixed or "*" in _fixed:
            return _fixed.get(key) or _fixed["*"]
        found = _throttles.get(key)
        if found is None or found.per_second != float(per_second or 0):
            found = _throttles[key] = Throttle(per_second)
        return found


def register_throttle(key: str, throttle: Throttle | None) -> None:
    """Tests and benchmarks: use `throttle` (its clock and sleep) for `key` ("*": every key);
    None removes it."""
    with _throttles_lock:
        if throttle is None:
            _fixed.pop(key, None)
        else:
            _fixed[key] = throttle


def with_rate_limit_retries(send: Callable[[], T], throttle: Throttle | None) -> T:
    """send(); after "too many requests", wait what the platform asks and send again."""
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        try:
            return send()
        except RetryableError as exc:
            if exc.code != "rate_limited" or attempt == RATE_LIMIT_RETRIES:
                raise
            wait = min(float(exc.details.get("retry_after") or 1.0), MAX_WAIT)
            (throttle.sleep if throttle else time.sleep)(wait)
    raise AssertionError("unreachable")


class TokenHolder:
    """The access token a client sends, and what to do when the platform calls it expired:
    `on_expired(expired_token)` returns fresh tokens (services refresh them once for all the
    workers and store them)."""

    def __init__(self, access_token: str, on_expired: RefreshCallback | None = None):
        self.access_token = access_token
        self.on_expired = on_expired

    def call(self, fn: Callable[[str], T]) -> T:
        """fn(access_token); after TokenExpired, refresh and call once more."""
        try:
            return fn(self.access_token)
        except TokenExpired:
            if self.on_expired is None:
                raise
            tokens = self.on_expired(self.access_token)
            self.access_token = tokens.access_token
            return fn(self.access_token)


def retry_after_seconds(response, default: float = 1.0) -> float:
    """The wait a rate-limited answer asks for (Retry-After in seconds), else `default`."""
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return default
