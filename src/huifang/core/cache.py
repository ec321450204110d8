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
from zero again (logins are protected by django-axes, which counts in the database).

**Keys are fenced by release** (:func:`make_key`, Django's ``KEY_FUNCTION``): every
key carries :func:`release`, so the processes of a new release never unpickle what the
previous code stored (a class that lost a field, a label worded by the old catalogue),
and during a rolling deploy the old and the new processes share Redis without reading
each other's values. The release is ``HUIFANG_RELEASE`` when set (a deploy tool's
version or commit), else derived once at startup from the package's version and a
hash of its ``.py`` and compiled ``.mo`` files, so any change of code or wording is a
new release even when the version number was not raised. Rate-limit counts are the one
exception (:data:`SHARED_ACROSS_RELEASES`)."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import redis
from django.conf import settings
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


# --- The release fence -------------------------------------------------------------

# Rate-limit counts (core.ratelimit) are integers, which Django's Redis cache stores
# as they are, not pickled, and which every release reads alike: fenced, each deploy
# would give every client a new window, and the old and the new processes of a rolling
# deploy would each count apart.
RATE_COUNT_PREFIX = "huifang:rate:"
# The installed package (src/huifang), whose files the derived release hashes.
PACKAGE = Path(__file__).resolve().parent.parent
SHARED_ACROSS_RELEASES = (RATE_COUNT_PREFIX,)
# What a configured release may hold in a key (Django warns about keys with spaces or
# control characters, which memcached refuses).
_NOT_IN_KEY = re.compile(r"[^\w.+-]")


def derive_release(root: Path, version: str) -> str:
    """``version`` plus a hash of every ``.py`` and ``.mo`` file under ``root`` (names
    and contents): what a cached value's pickle and wording depend on."""
    digest = hashlib.sha256()
    files = sorted(path for path in root.rglob("*") if path.suffix in {".py", ".mo"})
    for path in files:
        name, content = path.relative_to(root).as_posix().encode(), path.read_bytes()
        digest.update(b"%d:%s:%d:" % (len(name), name, len(content)))
        digest.update(content)
    return f"{version}+{digest.hexdigest()[:12]}"


@functools.cache
def _derived_release() -> str:
    try:
        version = importlib.metadata.version("huifang")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        version = "0"
    return derive_release(PACKAGE, version)


def release() -> str:
    """This process's release: ``HUIFANG_RELEASE``, or else derived once (the app's
    ``ready()`` asks at startup, so no request pays for the hashing)."""
    configured = getattr(settings, "HUIFANG_RELEASE", "")
    if configured:
        return _NOT_IN_KEY.sub("-", configured)[:64]
    return _derived_release()


def make_key(key: str, key_prefix: str, version: Any) -> str:
    """Django's ``KEY_FUNCTION`` for every cache of ours: Django's own key with the
    release in it (module docstring)."""
    if key.startswith(SHARED_ACROSS_RELEASES):
        return f"{key_prefix}:{version}:{key}"
    return f"{key_prefix}:{version}:{release()}:{key}"
