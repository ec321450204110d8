"""The shared cache (Redis) as something pages can do without.

Everything kept in the cache can be computed again (figures under the data version)
or is a rate-limit count, so a Redis that is down, restarting or unreachable must make
pages slower, never fail them: Django's own ``RedisCache`` raises ``ConnectionError``
from ``cache.get()``, and every page reads the cache. Here a cache call that cannot
reach Redis behaves as a miss (``get`` returns the default, ``set`` stores nothing,
``add`` and ``delete`` answer ``False``, ``incr`` finds no key), and for
``DOWN_SECONDS`` afterwards the process does not try again, so a page pays for at
most one failed connection (refused at once, or cut off by ``socket_connect_timeout``
when the host does not answer), not one per cache call.

What is lost while Redis is down: cached figures (pages compute them afresh) and the
rate-limit counts of the API's bearer tokens and the public survey page, which count
from zero again (logins are protected by django-axes, which counts in the database)."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger(__name__)

# How long a process leaves Redis alone after failing to reach it.
DOWN_SECONDS = 5.0
# A Redis that does not answer must not hold a page (redis-py waits forever by
# default); its OPTIONS in CACHES may say otherwise.
CONNECTION_DEFAULTS: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}

T = TypeVar("T")


class _Health:
    """When this process may next try Redis; shared by its threads."""

    def __init__(self) -> None:
        self.down_until = 0.0
        self.lock = threading.Lock()

    def is_down(self) -> bool:
        return time.monotonic() < self.down_until

    def failed(self, error: Exception) -> None:
        with self.lock:
            if not self.is_down():
                log.warning(
                    "cache unavailable, pages are computed without it for %.0f s: %s",
                    DOWN_SECONDS,
                    error,
                )
            self.down_until = time.monotonic() + DOWN_SECONDS


health = _Health()


def _or_miss(miss: Callable[..., T]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Run the Redis call unless Redis is known to be down; on a connection failure,
    answer as a miss would (``miss`` gets the call's arguments)."""

    def decorate(call: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(call)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> T:
            if health.is_down():
                return miss(*args, **kwargs)
            try:
                return call(self, *args, **kwargs)
            except (redis.ConnectionError, redis.TimeoutError) as error:
                health.failed(error)
                return miss(*args, **kwargs)

        return guarded

    return decorate


def _no_key(*_: Any) -> int:
    raise ValueError("Key not found.")


class ResilientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **{**CONNECTION_DEFAULTS, **options})

    add = _or_miss(lambda *_: False)(RedisCacheClient.add)
    get = _or_miss(lambda _key, default: default)(RedisCacheClient.get)
    set = _or_miss(lambda *_: None)(RedisCacheClient.set)
    touch = _or_miss(lambda *_: False)(RedisCacheClient.touch)
    delete = _or_miss(lambda *_: False)(RedisCacheClient.delete)
    get_many = _or_miss(lambda *_: {})(RedisCacheClient.get_many)
    has_key = _or_miss(lambda *_: False)(RedisCacheClient.has_key)
    incr = _or_miss(_no_key)(RedisCacheClient.incr)
    set_many = _or_miss(lambda *_: None)(RedisCacheClient.set_many)
    delete_many = _or_miss(lambda *_: None)(RedisCacheClient.delete_many)
    clear = _or_miss(lambda *_: False)(RedisCacheClient.clear)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, answering as a miss while Redis cannot be reached."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
