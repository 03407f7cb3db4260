"""Django's RedisCache, failing open: while Redis is unreachable a read finds nothing and a
write is dropped (logged), instead of failing the request. What the cache holds here (rate-limit
counters, throttles) may be briefly forgotten without harm; nothing is stored only there."""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
_last_warning = [0.0]


def _warn(exc: Exception) -> None:
    now = time.monotonic()
    if now - _last_warning[0] > 10:  # one line per 10 s, not one per request
        _last_warning[0] = now
        logger.warning("cache unreachable, carrying on without it: %s", exc)


def _failing_open(default):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except _UNREACHABLE as exc:
                _warn(exc)
                if default is ValueError:
                    raise ValueError("cache unreachable") from exc
                return default() if callable(default) else default

        return wrapper

    return decorate


class ResilientRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except _UNREACHABLE as exc:
            _warn(exc)
            return default

    set = _failing_open(False)(RedisCache.set)
    add = _failing_open(False)(RedisCache.add)
    touch = _failing_open(False)(RedisCache.touch)
    delete = _failing_open(False)(RedisCache.delete)
    has_key = _failing_open(False)(RedisCache.has_key)
    get_many = _failing_open(dict)(RedisCache.get_many)
    set_many = _failing_open(list)(RedisCache.set_many)
    delete_many = _failing_open(None)(RedisCache.delete_many)
    clear = _failing_open(False)(RedisCache.clear)
    # incr of a key it cannot find raises ValueError: callers already handle that (start at 1).
    incr = _failing_open(ValueError)(RedisCache.incr)
    decr = _failing_open(ValueError)(RedisCache.decr)
