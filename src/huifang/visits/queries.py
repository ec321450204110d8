"""Reads of visits that pages and the API share."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from huifang.core.access import sees_all_projects
from huifang.core.listing import first_rows
from huifang.projects.models import Project
from huifang.visits.models import (
    OPEN_VISIT_STATUSES,
    RecordStatus,
    Visit,
    VisitQuerySet,
    VisitRecord,
    VisitStatus,
)

if TYPE_CHECKING:
    from huifang.core.models import User

# The home page shows the first few of each list with its total: a constant page,
# whatever the number of rows behind it.
HOME_LIST_LIMIT = 10
HOME_RECENT_RECORDS = 10


def my_visits(user: User, *conditions: Q) -> VisitQuerySet:
    """The visits a user answers for, among those matching ``conditions``: those they
    own, those of projects they manage, and those they take part in. Organisation-wide
    roles (quality, executive, admin) answer for every visible visit.

    The three kinds are a UNION of three index lookups, each with the conditions, and
    the result a ``pk IN`` of it: written as one OR (across the join to the project),
    PostgreSQL read every open visit of the manager's projects for each list."""
    visits = Visit.objects.visible_to(user).filter(*conditions)
    if sees_all_projects(user):
        return visits
    managed = Project.objects.filter(manager=user).values("pk")
    # A subquery, not a join, so a visit with several participants is listed once.
    taking_part = Visit.participants.through.objects.filter(user_id=user.pk).values("visit_id")
    mine = (
        visits.filter(owner=user)
        .order_by()
        .values("pk")
        .union(
            visits.filter(project_id__in=managed).order_by().values("pk"),
            visits.filter(pk__in=taking_part).order_by().values("pk"),
        )
    )
    return Visit.objects.filter(pk__in=mine)


def home_visits(*, user: User, today: datetime.date | None = None) -> dict[str, Any]:
    """Overdue visits (oldest first) and visits falling due in the coming days."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.HUIFANG_HOME_HORIZON_DAYS)
    is_open = Q(status__in=OPEN_VISIT_STATUSES)

    def listed(rows: VisitQuerySet) -> VisitQuerySet:
        return rows.select_related("project", "project__customer", "owner").order_by(
            "due_date", "pk"
        )

    overdue_rows = listed(my_visits(user, is_open, Q(due_date__lt=today)))
    due_soon_rows = listed(my_visits(user, is_open, Q(due_date__gte=today, due_date__lte=horizon)))
    overdue, overdue_total = first_rows(overdue_rows, HOME_LIST_LIMIT)
    due_soon, due_soon_total = first_rows(due_soon_rows, HOME_LIST_LIMIT)
    return {
        "today": today,
        "horizon": horizon,
        "overdue": [(visit, visit.days_late(today)) for visit in overdue],
        "overdue_total": overdue_total,
        "due_soon": due_soon,
        "due_soon_total": due_soon_total,
    }


def visits_to_book(*, user: User, today: datetime.date) -> VisitQuerySet:
    """Planned visits whose window has opened, of projects the user manages or owned
    by the user: someone has to fix a date with the customer."""
    waiting = Visit.objects.visible_to(user).filter(
        status=VisitStatus.PLANNED, window_start__lte=today
    )
    # Owned and managed as a UNION of two index lookups: written as an OR, PostgreSQL
    # walked every open visit by due date looking for either (56 ms at 250,000 visits).
    owned = waiting.filter(owner=user).order_by().values("pk")
    managed = waiting.filter(project__manager=user).order_by().values("pk")
    return (
        Visit.objects.filter(pk__in=owned.union(managed))
        .select_related("project", "owner")
        .order_by("due_date", "pk")
    )


def recent_records(*, user: User, limit: int = HOME_RECENT_RECORDS) -> list[VisitRecord]:
    """The latest submitted records of the projects the user sees."""
    return list(
        VisitRecord.objects.visible_to(user)
        .filter(status=RecordStatus.SUBMITTED)
        .select_related("visit__project", "recorded_by")
        .order_by("-submitted_at", "-pk")[:limit]
    )


def filter_visits(user: User, filters: Mapping[str, Any], *, today: datetime.date) -> VisitQuerySet:
    """The visit list's filters (the cleaned data of ``VisitFilterForm``; missing or
    empty ones do not filter), over the visits the user may see. The page and its
    export share it, so an export holds exactly the rows the list shows."""
    visits = Visit.objects.visible_to(user).select_related("project__customer", "owner")
    if filters.get("project"):
        visits = visits.filter(project=filters["project"])
    if term := (filters.get("q") or "").strip():
        visits = visits.filter(Q(project__code__icontains=term) | Q(project__name__icontains=term))
    for name, lookup in (
        ("status", "status"),
        ("phase", "phase"),
        ("owner", "owner"),
        ("due_from", "due_date__gte"),
        ("due_to", "due_date__lte"),
    ):
        if filters.get(name):
            visits = visits.filter(**{lookup: filters[name]})
    if filters.get("overdue"):
        visits = visits.filter(status__in=OPEN_VISIT_STATUSES, due_date__lt=today)
    return visits
