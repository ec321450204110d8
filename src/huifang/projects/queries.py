"""Reads of projects that pages share: the list with its counts and the detail page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from huifang.actions.models import ImprovementAction
from huifang.core import dataversion
from huifang.core.aggregates import count_of
from huifang.core.models import Role, User
from huifang.projects.models import Membership, Project, ProjectQuerySet
from huifang.surveys.models import SurveyInvitation
from huifang.visits.models import (
    OPEN_VISIT_STATUSES,
    Feedback,
    Problem,
    ProblemStatus,
    RecordStatus,
    Visit,
    VisitRecord,
)

if TYPE_CHECKING:
    from huifang.core.access import AnyUser


@dataclass(frozen=True)
class ProjectFilters:
    search: str = ""
    status: str = ""
    manager: User | None = None
    customer_id: int | None = None
    department: str = ""
    has_overdue: bool = False


def project_list(
    user: AnyUser, *, today: datetime.date, filters: ProjectFilters | None = None
) -> ProjectQuerySet:
    """Visible projects with their open and overdue visit counts.

    The counts are correlated subqueries, so the page runs the same number of queries
    for 1 row as for 100, and the database counts visits only for the rows shown
    (an aggregate over a join to visits counted them for every matching project)."""
    filters = filters or ProjectFilters()
    open_visits = Visit.objects.filter(project=OuterRef("pk"), status__in=OPEN_VISIT_STATUSES)
    overdue_visits = open_visits.filter(due_date__lt=today)
    projects = (
        Project.objects.visible_to(user)
        .select_related("customer", "manager")
        .annotate(
            open_visit_count=count_of(open_visits),
            overdue_visit_count=count_of(overdue_visits),
        )
    )
    if filters.search:
        term = filters.search
        projects = projects.filter(
            Q(code__icontains=term) | Q(name__icontains=term) | Q(customer__name__icontains=term)
        )
    if filters.status:
        projects = projects.filter(status=filters.status)
    if filters.manager is not None:
        projects = projects.filter(manager=filters.manager)
    if filters.customer_id is not None:
        projects = projects.filter(customer_id=filters.customer_id)
    if filters.department:
        projects = projects.filter(department=filters.department)
    if filters.has_overdue:
        projects = projects.filter(Exists(overdue_visits))
    return projects


def project_departments(user: AnyUser) -> list[str]:
    """The departments of the projects the user sees, for the list's filter."""
    rows = (
        Project.objects.visible_to(user)
        .exclude(department="")
        .order_by("department")
        .values_list("department", flat=True)
        .distinct()
    )
    # A scan of every visible project (10,000 for a quality manager) on each view of
    # the list: kept until the data changes, keyed by the SQL (the user's scope).
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # sees no project
        return []
    # Cacheable: department names as people typed them (never translated).
    return dataversion.cached("projects.departments", (sql, params), lambda: list(rows))


def project_managers(user: AnyUser) -> QuerySet[User]:
    """People who manage a project the user sees, for the list's filter."""
    managed = Project.objects.visible_to(user).values("manager_id")
    return User.objects.filter(pk__in=managed).order_by("username")


def assignable_managers() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, role__in=[Role.PROJECT_MANAGER, Role.QUALITY, Role.ADMIN]
    ).order_by("username")


def assignable_members() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role=Role.EXECUTIVE).order_by("username")


def project_for_detail(user: AnyUser) -> ProjectQuerySet:
    """The queryset the detail page loads its project from (scope + header joins)."""
    return project_with_team().visible_to(user)


def project_with_team() -> ProjectQuerySet:
    """Projects with what their page's header shows: customer, manager, policy, team
    and default contacts."""
    return Project.objects.select_related("customer", "manager", "policy").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("user").order_by("user__username"),
        ),
        "default_contacts",
    )


# Invitations the project page lists (the tracking page has them all).
SURVEY_PANEL_LIMIT = 5


def project_detail_data(project: Project, *, today: datetime.date) -> dict[str, Any]:
    """Everything the project page shows besides the header, in a fixed number of
    queries whatever the number of visits, records, problems or actions. The same for
    everyone who may see the project (the caller checks that), so it is kept until the
    data changes (:mod:`huifang.core.dataversion`)."""
    # Cacheable: the same rows for everyone who sees the project, worded when rendered.
    return dataversion.cached(
        "projects.detail", (project.pk, today), lambda: _detail_data(project, today=today)
    )


def _detail_data(project: Project, *, today: datetime.date) -> dict[str, Any]:
    visits = list(
        Visit.objects.filter(project=project).select_related("owner").order_by("due_date", "pk")
    )
    records = list(
        VisitRecord.objects.filter(visit__project=project, status=RecordStatus.SUBMITTED)
        .select_related("visit", "recorded_by")
        .order_by("-submitted_at")
    )
    problems = list(
        Problem.objects.filter(project=project, status=ProblemStatus.OPEN).order_by(
            "-created_at", "-pk"
        )
    )
    actions = list(
        ImprovementAction.objects.filter(project=project)
        .select_related("owner")
        .order_by("status", "due_date", "pk")
    )
    trend = [
        {
            "date": row["received_on"].isoformat(),
            "overall": row["overall_satisfaction"],
            "source": row["source"],
        }
        for row in Feedback.objects.filter(project=project, overall_satisfaction__isnull=False)
        .order_by("received_on", "pk")
        .values("received_on", "overall_satisfaction", "source")
    ]
    invitations = SurveyInvitation.objects.filter(project=project).select_related(
        "contact", "visit"
    )
    return {
        "invitations": list(invitations.order_by("-sent_at", "-pk")[:SURVEY_PANEL_LIMIT]),
        "invitations_total": invitations.count(),
        # A survey asks about a visit: the latest one with a submitted record.
        "survey_visit_id": max(records, key=lambda r: r.visit.due_date).visit_id
        if records
        else None,
        "timeline": [{"visit": visit, "days_late": visit.days_late(today)} for visit in visits],
        "overdue_count": sum(1 for visit in visits if visit.is_overdue(today)),
        "records": records,
        "problems": problems,
        "actions": [{"action": action, "overdue": action.is_overdue(today)} for action in actions],
        "trend": trend,
    }
