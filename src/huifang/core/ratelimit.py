"""Rate limits counted where every web process sees the same number.

A limit counts events (a survey answer posted, a wrong API token) per client over a
window that opens at the client's first event and lasts ``window`` seconds. Every
gunicorn worker and every host must add to the same count, or a limit of 10 lets
10 × workers through. With Redis (``HUIFANG_REDIS_URL``) the count is a Redis key
(atomic ``INCR``, expiring by itself). Without it the cache is per process
(``LocMemCache``), so the count is a row of ``huifang_rate_count``, changed with one
atomic upsert that also returns the new count: the database decides between two
processes counting at once. Rows of windows that have ended are deleted as new ones
are counted, so the table holds only the clients counted within the last window.

Counts are written in autocommit, never inside the caller's transaction: a request
whose own work is rolled back has still used up its attempt.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from huifang.core.cache import RATE_COUNT_PREFIX
from huifang.core.models import RateCount

# Kept across releases (core.cache.SHARED_ACROSS_RELEASES).
_CACHE_PREFIX = RATE_COUNT_PREFIX


def _key(scope: str, client: str) -> str:
    # Hashed: a fixed-width key, whatever a client address or a proxy header holds.
    return hashlib.sha256(f"{scope}\0{client}".encode()).hexdigest()


def _shared_cache() -> bool:
    """Redis is shared by every process; the per-process LocMemCache is not."""
    return bool(getattr(settings, "REDIS_URL", ""))


def hit(scope: str, client: str, *, window: int) -> int:
    """Count one event of ``client`` under ``scope``; the count in its window, this one
    included."""
    key = _key(scope, client)
    if _shared_cache():
        cache_key = _CACHE_PREFIX + key
        if cache.add(cache_key, 1, timeout=window):
            return 1
        try:
            return int(cache.incr(cache_key))
        except ValueError:  # expired between add and incr: this is a new window
            cache.add(cache_key, 1, timeout=window)
            return 1
    now = int(time.time())
    table = RateCount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE expires_at <= %s", [now])  # noqa: S608
        # One statement: a new client starts at 1; an ended window starts again at 1;
        # otherwise the count goes up by one. Same syntax on SQLite and PostgreSQL.
        cursor.execute(
            f'INSERT INTO {table} ("key", "count", expires_at) VALUES (%s, 1, %s) '  # noqa: S608
            'ON CONFLICT ("key") DO UPDATE SET '
            f'"count" = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}."count" + 1 END, '
            f"expires_at = CASE WHEN {table}.expires_at <= %s THEN excluded.expires_at "
            f"ELSE {table}.expires_at END "
            'RETURNING "count"',
            [key, now + window, now, now],
        )
        row = cursor.fetchone()
    return int(row[0])


def count(scope: str, client: str) -> int:
    """The events of ``client`` under ``scope`` in its current window (0 if none)."""
    key = _key(scope, client)
    if _shared_cache():
        return int(cache.get(_CACHE_PREFIX + key, 0))
    row = (
        RateCount.objects.filter(key=key, expires_at__gt=int(time.time()))
        .values_list("count", flat=True)
        .first()
    )
    return int(row or 0)
