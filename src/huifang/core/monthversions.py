"""Month versions: one number per calendar month that moves whenever a row whose figures
fall in that month changes, so that a figure of one month stays cached while the
rest of the year is written to.

The data version (:mod:`huifang.core.dataversion`) moves on every write anywhere, so
a dashboard that sums a year of visits was computed afresh after every visit recorded
anywhere, at the price of scanning the year (issue 17). The figures are counts over
one date column each — visits by due date, feedback by the day received, actions by
the day created, closed or due — so they add up month by month: a year is twelve
cached months, and a visit recorded today retires this month's and no other.

Which months a write touches is decided by the database, in triggers on the tables
the figures read (:data:`WATCHED`): the execute wrapper sees a table, not the rows a
statement changes, and a promise of each service to name the months it touched would
be forgotten by the next one. A row touches the months of its date columns, before
and after the change (a timestamp: the months of the day before and the day after,
which hold its date in any time zone), and the month its record's visit is due in
(record completeness is a figure of the visit's due month). A change to a column that
decides which scope a row counts in (its project, its visit, its phase) touches every
month: :data:`ANY`, which every month's key also carries and which moves as well on
every write to a table not watched here (projects, memberships, the policy: the
scopes and targets), the way the data version moves.

* PostgreSQL: statement-level triggers read the statement's rows from its transition
  tables and add their months to a transaction-local setting; the commit, which
  already moves the data version as its last statement, moves those months' counters
  in one sorted statement (:func:`commit_months`). Counters are locked only from that
  statement to the commit, always in the same order, so writers never deadlock, and
  each month has :data:`SHARDS` counter rows picked at random, so two writers rarely
  wait for each other.
* SQLite: row triggers move the counters at once (SQLite has one writer at a time).

The triggers are (re)installed after every ``migrate`` (:func:`install_triggers`, a
``post_migrate`` receiver): SQLite rebuilds a table to alter it, and drops its
triggers with it."""

# Every statement here is built from this module's constants (the table and column
# names of WATCHED), never from input:
# ruff: noqa: S608

from __future__ import annotations

import datetime
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "huifang_month_version"
ANY = "*"
SHARDS = 8
SETTING = "huifang.months"


@dataclass(frozen=True)
class Source:
    """Where a row's months come from: ``month`` is a date column or expression
    (``{r}`` stands for the row), found through ``join`` (other tables, ``{r}``
    again for the row) when it is not the row's own."""

    month: str
    join: str = ""
    timestamp: bool = False


@dataclass(frozen=True)
class Watched:
    table: str
    sources: tuple[Source, ...]
    # An UPDATE changing one of these moves every month (ANY).
    links: tuple[str, ...] = ()


def _own(*columns: str, timestamp: bool = False) -> tuple[Source, ...]:
    return tuple(Source(f"{{r}}.{column}", timestamp=timestamp) for column in columns)


# The month its record's visit is due in (record completeness counts by that month).
_RECORD_VISIT_DUE = Source(
    "v.due_date",
    "visits_visitrecord vr JOIN visits_visit v ON v.id = vr.visit_id WHERE vr.id = {r}.record_id",
)

WATCHED: tuple[Watched, ...] = (
    Watched(
        "visits_visit",
        _own("due_date", "completed_on"),
        links=("project_id", "phase"),
    ),
    Watched(
        "visits_visitrecord",
        (
            Source("v.due_date", "visits_visit v WHERE v.id = {r}.visit_id"),
            # Verifications count only in submitted records: a record's status moves
            # the months its verifications were made in.
            Source("av.verified_on", "actions_actionverification av WHERE av.record_id = {r}.id"),
        ),
        links=("visit_id",),
    ),
    Watched(
        "visits_problem",
        (*_own("created_at", timestamp=True), _RECORD_VISIT_DUE),
        links=("project_id", "record_id"),
    ),
    Watched(
        "visits_feedback",
        (*_own("received_on"), _RECORD_VISIT_DUE),
        links=("project_id", "visit_id", "record_id"),
    ),
    Watched(
        "actions_improvementaction",
        (
            *_own("closed_on", "due_date"),
            *_own("created_at", timestamp=True),
            _RECORD_VISIT_DUE,
        ),
        links=("project_id", "record_id"),
    ),
    Watched(
        "actions_actionverification",
        (*_own("verified_on"), _RECORD_VISIT_DUE),
        links=("action_id", "record_id"),
    ),
    Watched(
        "surveys_surveyinvitation",
        _own("sent_at", timestamp=True),
        links=("project_id", "visit_id"),
    ),
)
WATCHED_TABLES = frozenset(watched.table for watched in WATCHED)


def _history_of(table: str) -> str:
    app, _, model = table.partition("_")
    return f"{app}_historical{model}"


# Tables of ours that no month's figures read: a write to them, as to a watched table,
# leaves ANY where it is (a write to any other table moves it). The history kept of
# the watched tables (django-simple-history writes it with every save), the notify app
# (notifications, their deliveries, preferences, webhooks, sweep runs), and a survey's
# links and answers (submitting a record sends a survey; the answer's feedback and the
# invitation's answered time are watched). tests/core/test_monthversions.py checks that
# no month's figures read any of them.
_NO_MONTH_FIGURES = frozenset(
    {
        *(_history_of(table) for table in WATCHED_TABLES),
        "surveys_surveylink",
        "surveys_surveyresponse",
    }
)
_NO_MONTH_FIGURES_PREFIXES = ("notify_",)


def moves_every_month(table: str) -> bool:
    """Whether a write to ``table`` (one of ours) may change figures of any month
    without the triggers naming them, and so moves :data:`ANY`."""
    return not (
        table in WATCHED_TABLES
        or table in _NO_MONTH_FIGURES
        or table.startswith(_NO_MONTH_FIGURES_PREFIXES)
    )


# --- Months -------------------------------------------------------------------------


class Piece(NamedTuple):
    """The part of a period that falls in one month."""

    month: str
    start: datetime.date
    end: datetime.date


def month_key(day: datetime.date) -> str:
    return f"{day:%Y-%m}"


def month_end(day: datetime.date) -> datetime.date:
    """The last day of ``day``'s month."""
    first_of_next = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return first_of_next - datetime.timedelta(days=1)


def pieces(date_from: datetime.date, date_to: datetime.date) -> list[Piece]:
    """The period ``date_from``–``date_to`` (inclusive) cut at month boundaries."""
    result: list[Piece] = []
    start = date_from
    while start <= date_to:
        end = month_end(start)
        result.append(Piece(month_key(start), start, min(date_to, end)))
        start = end + datetime.timedelta(days=1)
    return result


# --- Reading ------------------------------------------------------------------------


class _Remembered(threading.local):
    """The versions a request read (see dataversion._Remembered): forgotten when the
    data version is, at the request's end and when this thread writes."""

    versions: dict[str, int] | None = None


remembered = _Remembered()


def versions(
    months: Iterable[str], alias: str = DEFAULT_DB_ALIAS, *, remember: bool = False
) -> dict[str, int]:
    """The version of each month and of :data:`ANY`, in one query (none when
    ``remember``-ed already in this request)."""
    wanted = {ANY, *months}
    known = remembered.versions if remember and remembered.versions is not None else {}
    missing = sorted(wanted - known.keys())
    if missing:
        marks = ", ".join(["%s"] * len(missing))
        with connections[alias].cursor() as cursor:
            cursor.execute(
                f"SELECT month, SUM(value) FROM {TABLE} WHERE month IN ({marks}) GROUP BY month",
                missing,
            )
            found = {month: int(value) for month, value in cursor.fetchall()}
        known = {**known, **{month: found.get(month, 0) for month in missing}}
        if remember:
            remembered.versions = known
    return {month: known[month] for month in wanted}


# --- Writing --------------------------------------------------------------------------

_UPSERT = (
    f"INSERT INTO {TABLE} (month, shard, value) {{rows}} "
    f"ON CONFLICT (month, shard) DO UPDATE SET value = {TABLE}.value + excluded.value"
)


def commit_months(connection: BaseDatabaseWrapper, *, any_month: bool) -> None:
    """Just before a commit: move the months the transaction's statements touched
    (on PostgreSQL, gathered by the triggers in a transaction-local setting) and,
    when it wrote to a table not watched here, :data:`ANY`. One statement, the months
    in order (see the module docstring)."""
    shard = secrets.randbelow(SHARDS) + 1
    extra = f",{ANY}" if any_month else ""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows = (
                "SELECT m, %s, 1 FROM (SELECT DISTINCT unnest(string_to_array("
                f"coalesce(current_setting('{SETTING}', true), '') || %s, ',')) AS m) s "
                "WHERE m <> '' ORDER BY m"
            )
            cursor.execute(_UPSERT.format(rows=rows), [shard, extra])
        elif any_month:
            cursor.execute(_UPSERT.format(rows="VALUES (%s, %s, 1)"), [ANY, shard])


def move_any(alias: str = DEFAULT_DB_ALIAS, amount: int = 1) -> None:
    """Move :data:`ANY`, and so every month's key, now."""
    remembered.versions = None
    with connections[alias].cursor() as cursor:
        cursor.execute(
            _UPSERT.format(rows="VALUES (%s, %s, %s)"),
            [ANY, secrets.randbelow(SHARDS) + 1, amount],
        )


def renew(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Move :data:`ANY` by a random amount: after a restore, the restored numbers may
    already key figures of other data."""
    move_any(alias, secrets.randbits(52))


# --- Triggers -------------------------------------------------------------------------


def _month_sql(vendor: str, source: Source, row: str) -> list[str]:
    """``SELECT`` statements giving the months ``source`` touches for ``row`` (NEW or
    OLD on SQLite; the transition table's alias ``r`` on PostgreSQL)."""
    column = source.month.format(r=row)
    if vendor == "postgresql":
        if source.timestamp:
            expressions = [
                f"to_char({column} - interval '1 day', 'YYYY-MM')",
                f"to_char({column} + interval '1 day', 'YYYY-MM')",
            ]
        else:
            expressions = [f"to_char({column}, 'YYYY-MM')"]
    elif source.timestamp:
        expressions = [
            f"strftime('%Y-%m', {column}, '-1 day')",
            f"strftime('%Y-%m', {column}, '+1 day')",
        ]
    else:
        expressions = [f"strftime('%Y-%m', {column})"]
    join = source.join.format(r=row)
    if vendor == "postgresql":
        rows = "{rows} r"
        if join:
            table_part, _, where = join.partition(" WHERE ")
            # A join of two tables joins the row as one, in parentheses.
            joined = f"({table_part})" if " JOIN " in table_part else table_part
            tail = f" JOIN {joined} ON {where}"
        else:
            tail = ""
        return [f"SELECT {expression} AS m FROM {rows}{tail}" for expression in expressions]
    suffix = f" FROM {join}" if join else ""
    return [f"SELECT {expression} AS m{suffix}" for expression in expressions]


def _link_sql(vendor: str, watched: Watched) -> str:
    if vendor == "postgresql":
        changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in watched.links)
        return f"SELECT '{ANY}' AS m FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed}"
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched.links)
    return f"SELECT '{ANY}' AS m WHERE {changed}"


def _postgresql_statements(watched: Watched) -> list[str]:
    statements = []
    for event, tables in (
        ("INSERT", ("new_rows",)),
        ("UPDATE", ("old_rows", "new_rows")),
        ("DELETE", ("old_rows",)),
    ):
        selects = [
            select.replace("{rows}", rows)
            for rows in tables
            for source in watched.sources
            for select in _month_sql("postgresql", source, "r")
        ]
        if event == "UPDATE" and watched.links:
            selects.append(_link_sql("postgresql", watched))
        function = f"huifang_months_{watched.table}_{event.lower()}"
        gathered = " UNION ".join(selects)
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  PERFORM set_config('{SETTING}', coalesce((SELECT string_agg(DISTINCT m, ',') "
            f"FROM (SELECT unnest(string_to_array(current_setting('{SETTING}', true), ',')) "
            f"AS m UNION {gathered}) s WHERE m IS NOT NULL AND m <> ''), ''), true);\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        referencing = " ".join(
            f"{'NEW' if rows == 'new_rows' else 'OLD'} TABLE AS {rows}" for rows in tables
        )
        statements.append(
            f"CREATE OR REPLACE TRIGGER huifang_months_{event.lower()} AFTER {event} "
            f"ON {watched.table} REFERENCING {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {function}()"
        )
    return statements


def _sqlite_statements(watched: Watched) -> list[str]:
    statements = []
    for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        selects = [
            select
            for row in rows
            for source in watched.sources
            for select in _month_sql("sqlite", source, row)
        ]
        if event == "UPDATE" and watched.links:
            selects.append(_link_sql("sqlite", watched))
        name = f"huifang_months_{watched.table}_{event.lower()}"
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {watched.table} BEGIN "
            f"INSERT INTO {TABLE} (month, shard, value) SELECT m, 1, 1 FROM "
            f"({' UNION '.join(selects)}) WHERE m IS NOT NULL "
            f"ON CONFLICT (month, shard) DO UPDATE SET value = value + 1; END"
        )
    return statements


def trigger_statements(vendor: str) -> list[str]:
    build = _postgresql_statements if vendor == "postgresql" else _sqlite_statements
    return [statement for watched in WATCHED for statement in build(watched)]


def drop_triggers(using: str = DEFAULT_DB_ALIAS) -> None:
    """Remove every trigger (and PostgreSQL function) installed here, by name, whatever
    :data:`WATCHED` says now: before the counters' table is dropped."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
                "WHERE tgname LIKE 'huifang_months_%'"
            )
            for name, table in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'huifang_months_%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'huifang_months_%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install_triggers(sender: Any = None, using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """``post_migrate`` receiver: (re)install the triggers of every watched table that
    exists (all of them: the signal is sent once every app is migrated, once per app,
    so only the core app's signal does it)."""
    if sender is not None and getattr(sender, "label", None) != "core":
        return
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if TABLE not in tables:
            return
        build = _postgresql_statements if connection.vendor == "postgresql" else _sqlite_statements
        for watched in WATCHED:
            if watched.table in tables:
                for statement in build(watched):
                    cursor.execute(statement)
