"""The data version: a number that moves whenever one of our tables changes, so that
figures computed from those tables can be cached until it moves.

Every SQL statement that writes to a table of ours (``INSERT``, ``UPDATE``, ``DELETE``,
whatever produced it: ``save()``, ``QuerySet.update()``, ``bulk_create()``, a raw
cursor) is noticed by a database execute wrapper installed on every connection
(:func:`watch_connection`). The version then moves **in the same commit** as the
data: the connection's commit first runs one ``INSERT … ON CONFLICT DO UPDATE`` that
adds one to one of a few counter rows, and the version is their sum. Data and version
become visible together or not at all, so a process that dies right after its commit
(or whose connection is cut there) cannot leave changed data under an unchanged
version, which would have served stale pages until the entries expired. A write made
in autocommit is given a transaction of its own for the same reason. A rolled-back
transaction moves nothing.

Bookkeeping is not data: delivery state, read markers, sessions, login attempts and
the last-login and last-used stamps (:data:`BOOKKEEPING_TABLES`,
:data:`BOOKKEEPING_COLUMNS`) leave the version where it is, so that a login or a
notification read does not retire every cached page. Pages that show them read them
fresh.

Why a few rows rather than one: a transaction holds its counter row's lock from that
statement to the end of its ``COMMIT`` (the WAL flush included). With one row every
writer of the whole system would commit one at a time; with ``SHARDS`` rows picked at
random two writers rarely meet, and when they do one waits for a commit, never for a
transaction's work. No deadlock is possible: the counter is the last statement before
the commit, so its holder waits for nothing else.

:func:`cached` keeps a computed value under the version current when it was read:

* a reader that reads the version before a writer's commit and the data after it
  stores newer figures under the old number, which the commit has already retired;
* a request that has itself written in its still-open transaction (and so sees data
  nobody else sees yet) bypasses the cache;
* entries expire after ``timeout`` seconds anyway, and ``huifang restore`` moves the
  version by a random amount (:func:`renew`), because the restored database brings back
  a number that may already key figures of other data (clearing the cache instead
  could empty a Redis database that the broker shares).

The version lives in the database rather than in the cache, so it is shared by every
process even with a per-process cache (``LocMemCache`` when there is no Redis)."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from huifang.core import monthversions

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

# Bookkeeping: what the app writes about how it goes about its work, not data that
# pages and figures are computed from. Writing it never moves the version (a login,
# a notification read or an e-mail sent would otherwise retire every cached page of
# everyone), so every page that shows it reads it fresh, never through
# :func:`cached`. Any INSERT, UPDATE or DELETE of these tables is bookkeeping:
BOOKKEEPING_TABLES: dict[str, str] = {
    # Each channel's delivery state (claimed, sent, failed, retried), written by the
    # workers and the requeue sweep; the failed-deliveries page reads it fresh. A
    # delivery is created with its notification, whose INSERT moves the version.
    "notify_delivery": "delivery state of notifications",
    # Not tables of our apps, so the prefix rule leaves them alone anyway: named here
    # so that the list says everything a login writes.
    "django_session": "sessions",
    "axes_accessattempt": "login attempts (django-axes)",
    "axes_accessfailurelog": "failed logins (django-axes)",
    "axes_accesslog": "logins (django-axes)",
}
# An UPDATE that sets only these columns of the table is bookkeeping; one that also
# sets any other column is data and moves the version.
BOOKKEEPING_COLUMNS: dict[str, frozenset[str]] = {
    # Marked read by its reader: the bell and the inbox read it fresh.
    "notify_notification": frozenset({"read_at"}),
    # Stamped by every login: the people list reads it fresh.
    "core_user": frozenset({"last_login"}),
    # Stamped as the token is used (at most once a minute): the token page reads it
    # fresh.
    "api_apitoken": frozenset({"last_used_at"}),
}
_WRITE = re.compile(
    r'\s*(?P<verb>INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+["`]?(?P<table>\w+)', re.IGNORECASE
)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_SET = re.compile(r'["`]?\s+SET\s', re.IGNORECASE)
# The tokens of a SET clause: a literal, a quoted name, a word, or one other character.
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"[^"]*"|`[^`]*`|\w+|\S""")
_IDENTIFIER = re.compile(r"""["`]?(\w+)["`]?""")
_END_OF_SET = frozenset({"WHERE", "FROM", "RETURNING"})
_MISSING = object()

T = TypeVar("T")


class _Remembered(threading.local):
    """The version as a request first read it: a page that reads several cached
    figures asks the database once. Only inside a request (a task or a shell has no
    end at which to forget it), and forgotten at once when this thread moves it."""

    active = False
    version: int | None = None


_remembered = _Remembered()


def _request_started(**_: Any) -> None:
    _remembered.active, _remembered.version = True, None
    monthversions.remembered.versions = None


def _request_finished(**_: Any) -> None:
    _remembered.active, _remembered.version = False, None
    monthversions.remembered.versions = None


def remembering(alias: str) -> bool:
    """Whether versions read now are kept until the request ends (or this thread
    writes)."""
    return _remembered.active and alias == DEFAULT_DB_ALIAS


request_started.connect(_request_started, dispatch_uid="huifang.dataversion.start")
request_finished.connect(_request_finished, dispatch_uid="huifang.dataversion.finish")


# Counter rows; the version is their sum. See the module docstring for why several.
SHARDS = 8
_ADD = (
    f"INSERT INTO {TABLE} (id, value) VALUES (%s, %s) "  # noqa: S608
    f"ON CONFLICT (id) DO UPDATE SET value = {TABLE}.value + excluded.value"
)
# Schema changes to the counter table itself (migrations, test set-up): the connection
# must look again whether it exists.
_VERSION_DDL = re.compile(
    rf'\s*(?:CREATE|DROP|ALTER)\b[^;]*["`]?(?:{TABLE}|{monthversions.TABLE})\b', re.IGNORECASE
)


def _add(connection: BaseDatabaseWrapper, amount: int, shard: int | None = None) -> None:
    row = secrets.randbelow(SHARDS) + 1 if shard is None else shard
    with connection.cursor() as cursor:
        cursor.execute(_ADD, [row, amount])


def bump(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Move the version on by one now (in the caller's transaction, if any), and every
    month's (:data:`monthversions.ANY`): a change that names no month."""
    _remembered.version = None
    _add(connections[alias], 1)
    monthversions.move_any(alias)


def renew(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Move the version by a random amount, to a number unrelated to any used before
    (after a restore), and every month's likewise."""
    _remembered.version = None
    _add(connections[alias], secrets.randbits(52), shard=1)
    monthversions.renew(alias)


def current(alias: str = DEFAULT_DB_ALIAS) -> int:
    remember = remembering(alias)
    if remember and _remembered.version is not None:
        return _remembered.version
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(value), 0) FROM {TABLE}")  # noqa: S608
        row = cursor.fetchone()
    version = int(row[0]) if row else 0
    if remember:
        _remembered.version = version
    return version


def has_pending_write(connection: BaseDatabaseWrapper) -> bool:
    """Whether the connection's open transaction has written to our tables."""
    return bool(getattr(connection, "huifang_wrote", False))


@contextmanager
def batched() -> Iterator[None]:
    """Kept for the bulk jobs that wrap their work in it (planning every project, the
    sweep, seeding). It used to hold the version still until the job's end, to spare
    one extra commit per transaction; the move now costs one statement inside each
    transaction and no commit, and a job killed half-way must not leave figures of
    its committed part unretired, so every transaction moves the version itself."""
    yield


def _version_table_exists(connection: BaseDatabaseWrapper) -> bool:
    """Whether the counter table exists (it does not while the first migrations run):
    on PostgreSQL a statement on a missing table would abort the writer's transaction.
    Asked once per connection wrapper (one per thread) and again after a schema change
    to the table passes through it; the answer "yes" is kept."""
    if not getattr(connection, "huifang_version_table", False):
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
        # The month versions' table came one migration later: both, or neither.
        connection.huifang_version_table = {TABLE, monthversions.TABLE} <= tables  # type: ignore[attr-defined]
    return bool(connection.huifang_version_table)  # type: ignore[attr-defined]


def _commit_moving_the_version(connection: BaseDatabaseWrapper, commit: Callable[[], Any]) -> Any:
    """The connection's ``_commit``: when the transaction wrote to our tables, move the
    version as its last statement, so both commit together (module docstring)."""
    moving = has_pending_write(connection)
    if moving and _version_table_exists(connection):
        _add(connection, 1)
        monthversions.commit_months(
            connection, any_month=bool(getattr(connection, "huifang_wrote_any", False))
        )
    result = commit()
    if moving:
        _moved(connection)
    return result


def _rollback_forgetting_the_write(
    connection: BaseDatabaseWrapper, rollback: Callable[[], Any]
) -> Any:
    try:
        return rollback()
    finally:
        connection.huifang_wrote = False  # type: ignore[attr-defined]
        connection.huifang_wrote_any = False  # type: ignore[attr-defined]


def _moved(connection: BaseDatabaseWrapper) -> None:
    connection.huifang_wrote = False  # type: ignore[attr-defined]
    connection.huifang_wrote_any = False  # type: ignore[attr-defined]
    if connection.alias == DEFAULT_DB_ALIAS:
        # This thread moved the version: a request reads it again.
        _remembered.version = None
        monthversions.remembered.versions = None


def assigned_columns(sql: str, after: int | None = None) -> frozenset[str] | None:
    """The columns that an ``UPDATE`` statement's ``SET`` clause assigns (``after``: the
    end of the table's name, if known), or ``None`` when it is not an ``UPDATE`` we
    can read, which counts as data. Only commas outside parentheses and literals
    separate two assignments, and only a ``WHERE``, ``FROM`` or ``RETURNING`` outside
    them ends the clause; each assignment starts with its column and ``=``."""
    if after is None:
        write = _WRITE.match(sql)
        if write is None or write.group("verb").upper() != "UPDATE":
            return None
        after = write.end()
    start = _SET.match(sql, after)
    if start is None or "\\" in sql:  # a backslash escape could hide a quote's end
        return None
    columns: set[str] = set()
    depth, expect_column = 0, True
    tokens = _TOKEN.finditer(sql, start.end())
    for token in tokens:
        text = token.group()
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif depth:
            continue
        elif expect_column:
            column, equals = _IDENTIFIER.fullmatch(text), next(tokens, None)
            if column is None or equals is None or equals.group() != "=":
                return None
            columns.add(column.group(1).lower())
            expect_column = False
        elif text == ",":
            expect_column = True
        elif text.upper() in _END_OF_SET:
            break
    return frozenset(columns) if columns and not expect_column else None


def is_bookkeeping(sql: str) -> bool:
    """Whether a statement only keeps the books (:data:`BOOKKEEPING_TABLES`,
    :data:`BOOKKEEPING_COLUMNS`) and so leaves the version where it is."""
    match = _WRITE.match(sql)
    return match is not None and _keeps_books(match, sql)


def _keeps_books(write: re.Match[str], sql: str) -> bool:
    table = write.group("table").lower()
    if table in BOOKKEEPING_TABLES:
        return True
    columns = BOOKKEEPING_COLUMNS.get(table)
    if columns is None or write.group("verb").upper() != "UPDATE":
        return False
    assigned = assigned_columns(sql, write.end())
    return assigned is not None and assigned <= columns


def _watch(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    connection = context["connection"]
    match = _WRITE.match(sql) if isinstance(sql, str) else None
    if not match:
        if isinstance(sql, str) and _VERSION_DDL.match(sql):
            connection.huifang_version_table = False
        return execute(sql, params, many, context)
    table = match.group("table").lower()
    if table == TABLE or not table.startswith(_TABLE_PREFIXES) or _keeps_books(match, sql):
        return execute(sql, params, many, context)
    if connection.get_autocommit():
        if connection.vendor == "sqlite" and _RETURNING.search(sql):
            # SQLite cannot commit while the caller has yet to fetch what the
            # statement returns, so this write (a lone ``save()`` outside any
            # transaction) commits on its own: the version moves just before it, which
            # retires what was cached, and just after. Only a reader caching in
            # between, in the instant before a crash, could keep a stale figure.
            counted = _version_table_exists(connection)
            if counted:
                _add(connection, 1)
                if monthversions.moves_every_month(table):
                    monthversions.move_any(connection.alias)
            result = execute(sql, params, many, context)
            if counted:
                _add(connection, 1)
                if monthversions.moves_every_month(table):
                    monthversions.move_any(connection.alias)
                _moved(connection)
            return result
        # A write in autocommit would commit on its own, before the version could
        # move: give it a transaction, so that the version moves in its commit.
        with transaction.atomic(using=connection.alias):
            return _watch(execute, sql, params, many, context)
    result = execute(sql, params, many, context)
    connection.huifang_wrote = True
    if monthversions.moves_every_month(table):
        # No trigger names the months it changes: every month's figures may change.
        connection.huifang_wrote_any = True
    return result


def watch_connection(connection: BaseDatabaseWrapper, **_: Any) -> None:
    """``connection_created`` receiver: watch every statement of the new connection,
    and move the version in every commit that wrote to our tables."""
    connection.huifang_wrote = False  # type: ignore[attr-defined]
    connection.huifang_wrote_any = False  # type: ignore[attr-defined]
    # First in the list: ``connection.execute_wrapper()`` blocks pop the last one on
    # exit, and a connection opened inside such a block must not lose ours instead.
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _watch)
    # Django has no hook just before a commit; ``_commit`` is where every commit of a
    # backend (``Atomic`` and ``connection.commit()`` alike) reaches the driver. The
    # wrapper object outlives its database connections: wrap it once.
    if not getattr(connection, "huifang_commit_wrapped", False):
        wrapper: Any = connection
        commit, rollback = wrapper._commit, wrapper._rollback
        wrapper._commit = partial(_commit_moving_the_version, connection, commit)
        wrapper._rollback = partial(_rollback_forgetting_the_write, connection, rollback)
        wrapper.huifang_commit_wrapped = True


def digest(parts: tuple[Any, ...]) -> str:
    """A key's stand-in for ``parts`` (short, whatever they hold)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _caching() -> bool:
    """Whether values may come from the cache now: it is on, and this request has not
    written in its open transaction (it sees data nobody else sees yet)."""
    return bool(settings.HUIFANG_DATAVERSION_CACHE) and not has_pending_write(
        connections[DEFAULT_DB_ALIAS]
    )


def _get_or_compute(key: str, compute: Callable[[], T], timeout: int) -> T:
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout)
    return value


def cached(name: str, parts: tuple[Any, ...], compute: Callable[[], T], timeout: int = 600) -> T:
    """``compute()``, cached under the current data version and ``parts`` (everything
    else the value depends on: scope, filters, dates, and the language wherever the
    value holds words). The cache's key function adds the release (core/cache.py).
    ``HUIFANG_DATAVERSION_CACHE = False`` computes every value afresh."""
    if not _caching():
        return compute()
    return _get_or_compute(f"dataversion:{name}:{current()}:{digest(parts)}", compute, timeout)


def _month_versions(months: Iterable[str]) -> dict[str, int]:
    return monthversions.versions(months, remember=remembering(DEFAULT_DB_ALIAS))


def cached_by_month(
    name: str,
    parts: tuple[Any, ...],
    pieces: Sequence[monthversions.Piece],
    compute: Callable[[list[monthversions.Piece]], dict[str, T]],
    timeout: int = 600,
) -> dict[str, T]:
    """``compute(pieces)`` (a value per month of the pieces given), each month's value
    cached under its month version and every month's (:mod:`huifang.core.
    monthversions`), ``parts`` (as for :func:`cached`) and the piece's own bounds: a
    write retires only the months it touched. The months not cached are computed
    together, in one call."""
    if not _caching():
        return compute(list(pieces))
    known = _month_versions(piece.month for piece in pieces)
    keys = {
        piece.month: (
            f"monthversion:{name}:{known[monthversions.ANY]}:{piece.month}:"
            f"{known[piece.month]}:{piece.start:%d}-{piece.end:%d}:{digest(parts)}"
        )
        for piece in pieces
    }
    found = cache.get_many(list(keys.values()))
    missing = [piece for piece in pieces if keys[piece.month] not in found]
    fresh = compute(missing) if missing else {}
    if fresh:
        cache.set_many({keys[month]: value for month, value in fresh.items()}, timeout)
    return {
        piece.month: found[keys[piece.month]] if keys[piece.month] in found else fresh[piece.month]
        for piece in pieces
    }


def cached_across_months(
    name: str, parts: tuple[Any, ...], compute: Callable[[], T], timeout: int = 600
) -> T:
    """``compute()``, cached under every month's version alone (``monthversions.ANY``):
    for a value that no month's rows decide (the projects of a scope), kept while
    only rows with months are written."""
    if not _caching():
        return compute()
    version = _month_versions(())[monthversions.ANY]
    return _get_or_compute(f"monthversion:{name}:{version}:{digest(parts)}", compute, timeout)
