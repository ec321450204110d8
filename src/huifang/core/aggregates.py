"""Aggregate expressions that several apps' reads share."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, F, Func, IntegerField, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce


def count_of(queryset: QuerySet[Any]) -> Coalesce:
    """``SELECT COUNT(*)`` of a correlated subquery (no GROUP BY, one value), 0 when
    nothing matches. Unlike ``Count`` over a join it is evaluated only for the rows a
    page shows, when the list is not ordered by it."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class DistinctIds(Aggregate):
    """The distinct values of an integer column, as one value per group:
    ``ARRAY_AGG`` on PostgreSQL, ``GROUP_CONCAT`` (a comma-separated string) on
    SQLite; :func:`ids_of` reads either. Tens of thousands of ids arrive as a dozen
    values instead of as many rows, which cost ten times as long to fetch."""

    function = "ARRAY_AGG"
    template = "%(function)s(DISTINCT %(expressions)s)"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def ids_of(value: list[int] | str | None) -> frozenset[int]:
    if not value:
        return frozenset()
    if isinstance(value, str):
        return frozenset(int(part) for part in value.split(","))
    return frozenset(value)
