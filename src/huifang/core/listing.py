"""Sorting and pagination that every list page shares.

Lists sort only by the columns they declare (so a query string cannot order by an
arbitrary field) and paginate with bounded page sizes; the page template renders
``includes/_pagination.html`` and ``includes/_sort_link.html``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

M = TypeVar("M")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


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


def paginate(request: HttpRequest, queryset: QuerySet[Any], *, per_page: int = 0) -> Page[Any]:
    """The requested page (``?page=``), clamped to the last page; ``?per_page=`` up to
    :data:`MAX_PAGE_SIZE`."""
    try:
        size = int(request.GET.get("per_page", "") or per_page or DEFAULT_PAGE_SIZE)
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    size = max(1, min(size, MAX_PAGE_SIZE))
    return Paginator(queryset, size).get_page(request.GET.get("page"))
