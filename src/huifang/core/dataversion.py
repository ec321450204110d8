"""The data version: a number that moves whenever one of our tables changes, so that
figures computed from those tables can be cached until it moves.

Every SQL statement that writes to a table of ours (``INSERT``, ``UPDATE``, ``DELETE``,
whatever produced it: ``save()``, ``QuerySet.update()``, ``bulk_create()``, a raw
cursor) is noticed by a database execute wrapper installed on every connection
(:func:`watch_connection`). The version is then incremented once, **after** the
writing transaction commits, by a separate one-row ``UPDATE`` in autocommit: a row
locked only for that instant, so writers never queue behind it and cannot deadlock on
it. A rolled-back transaction moves nothing.

:func:`cached` keeps a computed value under the version current when it was read:

* a reader that reads the version before a writer's commit and the data after it
  stores newer figures under the old number, which the commit has already retired;
* a request that has itself written in its still-open transaction (and so sees data
  nobody else sees yet) bypasses the cache;
* entries expire after ``timeout`` seconds anyway, and ``huifang restore`` sets the
  version to a random number (:func:`renew`), because the restored database brings back
  a number that may already key figures of other data (clearing the cache instead
  could empty a Redis database that the broker shares).

The version lives in the database rather than in the cache, so it is shared by every
process even with a per-process cache (``LocMemCache`` when there is no Redis)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "core_dataversion"
# Tables of our apps (their app labels): a write to any of them moves the version.
APP_LABELS = (
    "actions",
    "api",
    "core",
    "customers",
    "insights",
    "notify",
    "policy",
    "projects",
    "surveys",
    "transfer",
    "visits",
)
_TABLE_PREFIXES = tuple(f"{label}_" for label in APP_LABELS)
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+["`]?(\w+)', re.IGNORECASE)
_MISSING = object()
logger = logging.getLogger(__name__)

T = TypeVar("T")


class _Bump:
    """The on-commit callback; a class so a transaction registers it only once."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def __call__(self) -> None:
        bump(self.alias)


class _Remembered(threading.local):
    """The version as a request first read it: a page that reads several cached
    figures asks the database once. Only inside a request (a task or a shell has no
    end at which to forget it), and forgotten at once when this thread moves it."""

    active = False
    version: int | None = None


_remembered = _Remembered()


def _request_started(**_: Any) -> None:
    _remembered.active, _remembered.version = True, None


def _request_finished(**_: Any) -> None:
    _remembered.active, _remembered.version = False, None


request_started.connect(_request_started, dispatch_uid="huifang.dataversion.start")
request_finished.connect(_request_finished, dispatch_uid="huifang.dataversion.finish")


def bump(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Move the version on by one (in its own autocommit statement: it runs after the
    writing transaction's commit, or right after a write made in autocommit)."""
    _remembered.version = None
    try:
        _increment(alias)
    except DatabaseError:
        # Only while migrating a database that has no version table yet: nothing can
        # have been cached under it, and the write itself is already committed.
        logger.info("data version not moved: no %s table yet", TABLE)


def _increment(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET value = value + 1 WHERE id = 1")  # noqa: S608
        if cursor.rowcount:
            return
    # The row is gone (a test database flushed between tests): start it again.
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} (id, value) VALUES (1, 1)")  # noqa: S608
    except IntegrityError:  # another process put it back first
        _increment(alias)


def renew(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Jump to a random version, unrelated to any number used before (after a restore)."""
    _remembered.version = None
    fresh = secrets.randbits(52)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET value = %s WHERE id = 1", [fresh])  # noqa: S608
        if cursor.rowcount:
            return
        cursor.execute(f"INSERT INTO {TABLE} (id, value) VALUES (1, %s)", [fresh])  # noqa: S608


def current(alias: str = DEFAULT_DB_ALIAS) -> int:
    remember = _remembered.active and alias == DEFAULT_DB_ALIAS
    if remember and _remembered.version is not None:
        return _remembered.version
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT value FROM {TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    version = int(row[0]) if row else 0
    if remember:
        _remembered.version = version
    return version


def has_pending_write(connection: BaseDatabaseWrapper) -> bool:
    """Whether the connection's open transaction has written to our tables."""
    # Django keeps (savepoint ids, callback, robust) per registered callback.
    return any(isinstance(entry[1], _Bump) for entry in connection.run_on_commit)


class _Batch(threading.local):
    depth = 0
    wrote = False


_batch = _Batch()


@contextmanager
def batched() -> Iterator[None]:
    """For bulk jobs (planning every project, the sweep, seeding): writes in any number
    of transactions move the version once, when the job ends, rather than once per
    transaction (10,000 extra commits when planning 10,000 projects). Readers meanwhile
    may cache figures of the half-done job under the old number, which the final move
    retires, as after any write."""
    _batch.depth += 1
    try:
        yield
    finally:
        _batch.depth -= 1
        if _batch.depth == 0 and _batch.wrote:
            _batch.wrote = False
            bump()


def _note_write(connection: BaseDatabaseWrapper) -> None:
    if _batch.depth and connection.alias == DEFAULT_DB_ALIAS:
        _batch.wrote = True
        return
    if not connection.in_atomic_block:
        bump(connection.alias)
    elif not has_pending_write(connection):
        connection.on_commit(_Bump(connection.alias))


def _watch(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    result = execute(sql, params, many, context)
    match = _WRITE.match(sql) if isinstance(sql, str) else None
    if match:
        table = match.group(1).lower()
        if table != TABLE and table.startswith(_TABLE_PREFIXES):
            _note_write(context["connection"])
    return result


def watch_connection(connection: BaseDatabaseWrapper, **_: Any) -> None:
    """``connection_created`` receiver: watch every statement of the new connection."""
    # First in the list: ``connection.execute_wrapper()`` blocks pop the last one on
    # exit, and a connection opened inside such a block must not lose ours instead.
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _watch)


def cached(name: str, parts: tuple[Any, ...], compute: Callable[[], T], timeout: int = 600) -> T:
    """``compute()``, cached under the current data version and ``parts`` (everything
    else the value depends on: scope, filters, dates, language, time zone)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if has_pending_write(connection):
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"dataversion:{name}:{current()}:{digest}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout)
    return value
