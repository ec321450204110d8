"""Sorting and pagination that every list page shares.

Lists sort only by the columns they declare (so a query string cannot order by an
arbitrary field) and paginate with bounded page sizes; the page template renders
``includes/_pagination.html`` and ``includes/_sort_link.html``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from huifang.core import dataversion

M = TypeVar("M")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# Up to this many rows a count stops early (a LIMIT subquery); above it, it reads all.
COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class Sorting:
    key: str  # the public name in ?sort=, "-" prefixed for descending
    fields: tuple[str, ...]  # the ORDER BY it stands for


def sort_queryset(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    allowed: dict[str, tuple[str, ...] | str],
    default: str,
) -> tuple[QuerySet[Any], Sorting]:
    """Order by ``?sort=name`` / ``?sort=-name`` when ``name`` is allowed, else
    ``default``. A trailing ``pk`` keeps pagination stable between requests."""
    requested = request.GET.get("sort", "") or default
    descending = requested.startswith("-")
    name = requested.lstrip("-")
    if name not in allowed:
        descending = default.startswith("-")
        name = default.lstrip("-")
    fields = allowed[name]
    columns = (fields,) if isinstance(fields, str) else fields
    ordering = tuple(f"-{column}" if descending else column for column in columns)
    key = f"-{name}" if descending else name
    return queryset.order_by(*ordering, "-pk" if descending else "pk"), Sorting(key, ordering)


def count_rows(queryset: QuerySet[Any], *, fresh: bool = False) -> int:
    """The exact number of rows, kept until the data changes
    (:mod:`huifang.core.dataversion`; the SQL names the table, the filters and the
    user's scope, and so the list). Counting afresh costs a page view a scan: up to
    :data:`COUNT_LIMIT` rows it is a ``COUNT`` over a ``LIMIT`` subquery, which stops
    early; a larger list is counted in full. ``fresh``: counted now, for lists that
    filter on bookkeeping (a read marker), which does not move the data version."""
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter no row can match: nothing to count
        return 0
    if fresh:
        return _count(queryset)
    # Cacheable: a number of rows, no text; the SQL holds the scope and the filters.
    return dataversion.cached("listing.count", (sql, params), lambda: _count(queryset))


def _count(queryset: QuerySet[Any]) -> int:
    # The bounded count keeps the list's order: PostgreSQL then reads the index that
    # serves the page and stops at the limit. Without it, a LIMIT tempts the planner
    # into a sequential scan whenever it overestimates the matching rows (open visits
    # due before today: estimated 32,000, in fact 810, read in 57 ms instead of 3).
    counted = queryset.values("pk")[: COUNT_LIMIT + 1].count()
    if counted <= COUNT_LIMIT:
        return counted
    return queryset.order_by().values("pk").count()


def cached_rows(queryset: QuerySet[Any]) -> list[Any]:
    """The rows of ``queryset``, kept until the data changes (any committed write moves
    the data version, :mod:`huifang.core.dataversion`). The key is the SQL with its
    parameters, which holds the user's scope, the filters, the order and the slice;
    what a page shows depending on who looks is decided when it is rendered."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a filter no row can match (``pk__in=[]``): no query needed
        return []
    # Cacheable: model rows, worded when rendered; the SQL holds scope, filters, page.
    return dataversion.cached("listing.rows", (sql, params), lambda: list(queryset))


def first_rows(queryset: QuerySet[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` rows and the total. The total is counted only when there are
    more rows than shown: a short list is its own count (one query instead of two)."""
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, len(rows)
    return rows[:limit], count_rows(queryset)


class CountingPaginator(Paginator):
    """Django's paginator with :func:`count_rows` for querysets; ``fresh``: the rows and
    the count are read now, never from the cache."""

    def __init__(self, object_list: Any, per_page: int, *, fresh: bool = False) -> None:
        super().__init__(object_list, per_page)
        self.fresh = fresh

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return count_rows(self.object_list, fresh=self.fresh)
        return len(self.object_list)

    def page(self, number: int | str) -> Page[Any]:
        page = super().page(number)
        if isinstance(page.object_list, QuerySet):
            rows = page.object_list
            page.object_list = list(rows) if self.fresh else cached_rows(rows)
        return page


def paginate(
    request: HttpRequest, queryset: QuerySet[Any], *, per_page: int = 0, fresh: bool = False
) -> Page[Any]:
    """The requested page (``?page=``), clamped to the last page; ``?per_page=`` up to
    :data:`MAX_PAGE_SIZE`. ``fresh`` for lists that show bookkeeping (a read marker, a
    last login, a delivery's state), which does not move the data version
    (:data:`huifang.core.dataversion.BOOKKEEPING_COLUMNS`): read now, not cached."""
    try:
        size = int(request.GET.get("per_page", "") or per_page or DEFAULT_PAGE_SIZE)
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    size = max(1, min(size, MAX_PAGE_SIZE))
    return CountingPaginator(queryset, size, fresh=fresh).get_page(request.GET.get("page"))
