"""Aggregate expressions that several apps' reads share."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Func, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def count_of(queryset: QuerySet[Any]) -> Coalesce:
    """``SELECT COUNT(*)`` of a correlated subquery (no GROUP BY, one value), 0 when
    nothing matches. Unlike ``Count`` over a join it is evaluated only for the rows a
    page shows, when the list is not ordered by it."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
