"""Reads of improvement actions that the board, the list, the detail page and the
home page share. Every query starts from ``visible_to(user)``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery

from huifang.actions.models import (
    ActionStatus,
    ActionVerification,
    ImprovementAction,
    ImprovementActionQuerySet,
)
from huifang.actions.wording import word_description
from huifang.core import dataversion
from huifang.core.listing import first_rows
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitStatus

if TYPE_CHECKING:
    from huifang.core.models import User

# Cards shown per board column; the list page shows the rest.
BOARD_COLUMN_LIMIT = 20
HOME_ACTION_LIMIT = 10  # shown on the home page, with the total

BOARD_COLUMNS = (
    ActionStatus.OPEN,
    ActionStatus.IN_PROGRESS,
    ActionStatus.DONE,
    ActionStatus.VERIFIED_EFFECTIVE,
    ActionStatus.REOPENED,
)


@dataclass(frozen=True)
class ActionFilters:
    """What the filter form asks for; every field is optional."""

    status: str = ""
    owner_id: int | None = None
    project_id: int | None = None
    due_from: datetime.date | None = None
    due_to: datetime.date | None = None
    overdue_only: bool = False
    mine: bool = False
    search: str = ""
    # Drill-downs from the management home: the projects of a department or manager.
    department: str = ""
    manager_id: int | None = None


@dataclass(frozen=True)
class BoardCard:
    """What a board card shows of an action: a plain record, so that the board kept in
    the cache unpickles in a fraction of the time of 100 actions with their projects,
    customers and owners."""

    pk: int
    description: str
    description_key: str | None
    description_params: dict[str, Any] | None
    project_code: str
    owner_name: str
    due_date: datetime.date
    status: str

    @property
    def shown_description(self) -> str:
        # Worded when shown: the board is cached for every language alike.
        return word_description(self.description_key, self.description_params, self.description)

    @classmethod
    def of(cls, action: ImprovementAction) -> BoardCard:
        return cls(
            pk=action.pk,
            description=action.description,
            description_key=action.description_key,
            description_params=action.description_params,
            project_code=action.project.code,
            owner_name=str(action.owner),
            due_date=action.due_date,
            status=action.status,
        )


@dataclass(frozen=True)
class BoardColumn:
    status: ActionStatus
    actions: list[BoardCard]
    count: int

    @property
    def more(self) -> int:
        return self.count - len(self.actions)


def visible_actions(user: User) -> ImprovementActionQuerySet:
    return ImprovementAction.objects.visible_to(user).select_related(
        "project", "project__customer", "owner"
    )


def filter_actions(
    user: User, filters: ActionFilters, *, today: datetime.date
) -> ImprovementActionQuerySet:
    actions = visible_actions(user)
    if filters.status:
        actions = actions.filter(status=filters.status)
    if filters.owner_id is not None:
        actions = actions.filter(owner_id=filters.owner_id)
    if filters.project_id is not None:
        actions = actions.filter(project_id=filters.project_id)
    if filters.due_from is not None:
        actions = actions.filter(due_date__gte=filters.due_from)
    if filters.due_to is not None:
        actions = actions.filter(due_date__lte=filters.due_to)
    if filters.overdue_only:
        actions = actions.overdue(today)
    if filters.mine:
        actions = actions.filter(owner=user)
    if filters.department:
        actions = actions.filter(project__department=filters.department)
    if filters.manager_id is not None:
        actions = actions.filter(project__manager_id=filters.manager_id)
    if filters.search:
        actions = actions.filter(
            Q(description__icontains=filters.search)
            | Q(project__code__icontains=filters.search)
            | Q(project__name__icontains=filters.search)
        )
    return actions


def action_board(user: User, filters: ActionFilters, *, today: datetime.date) -> list[BoardColumn]:
    """One column per status, each with its first cards (soonest due first; the
    verified column most recently closed first) and its full count.

    Kept whole until the data changes (:mod:`huifang.core.dataversion`): grouping
    every visible action (100,000 for a quality manager) and reading five columns
    cost more than the page. The key is the SQL of the filtered actions, which holds
    the user's scope and the filters (with ``today`` when they ask for overdue)."""
    actions = filter_actions(user, filters, today=today)
    try:
        sql, params = actions.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter no action can match
        return [BoardColumn(status, [], 0) for status in _board_statuses(filters)]
    # Cacheable: plain cards worded when shown; the SQL holds the scope and the filters.
    return dataversion.cached(
        "actions.board", (sql, params, BOARD_COLUMN_LIMIT), lambda: _board(actions, filters)
    )


def _board_statuses(filters: ActionFilters) -> list[ActionStatus]:
    return [status for status in BOARD_COLUMNS if not filters.status or status == filters.status]


def _board(actions: ImprovementActionQuerySet, filters: ActionFilters) -> list[BoardColumn]:
    """A fixed number of queries: one count, one per column."""
    grouped = actions.order_by().values_list("status").annotate(total=Count("pk"))
    counts = dict(grouped.values_list("status", "total"))
    columns = []
    for status in _board_statuses(filters):
        column = actions.filter(status=status)
        if status == ActionStatus.VERIFIED_EFFECTIVE:
            column = column.order_by("-closed_on", "-pk")
        else:
            column = column.order_by("due_date", "pk")
        columns.append(
            BoardColumn(
                status=status,
                actions=[BoardCard.of(action) for action in column[:BOARD_COLUMN_LIMIT]],
                count=counts.get(status, 0),
            )
        )
    return columns


def action_detail(user: User, pk: int) -> ImprovementActionQuerySet:
    """The action with its origin and its verification history (404 is the caller's)."""
    verifications = ActionVerification.objects.select_related(
        "record__visit", "verified_by"
    ).order_by("verified_on", "pk")
    return (
        visible_actions(user)
        .select_related("record__visit", "problem", "feedback", "created_by")
        .prefetch_related(Prefetch("verifications", queryset=verifications))
        .filter(pk=pk)
    )


def _next_open_visit() -> Subquery:
    return Subquery(
        Visit.objects.filter(
            project=OuterRef("project"),
            status__in=[VisitStatus.PLANNED, VisitStatus.SCHEDULED],
        )
        .order_by("due_date", "pk")
        .values("pk")[:1]
    )


def home_actions(*, user: User, today: datetime.date) -> dict[str, Any]:
    """The actions block of the home page: my open actions (overdue first) and done
    actions of my projects that wait for a later visit to verify them, each with the
    project's next open visit (where the verification is recorded)."""
    mine = visible_actions(user).open().filter(owner=user).order_by("due_date", "pk")
    awaiting = visible_actions(user).filter(status=ActionStatus.DONE)
    # Mine to verify: projects I manage or belong to, whatever my role (a quality
    # manager sees every project but verifies only at visits of their own).
    # One ``IN (managed UNION member of)`` subquery, as in access.project_scope: an OR
    # across the join made PostgreSQL read every done action (88 ms at 100,000).
    managed = Project.objects.filter(manager=user).order_by().values("pk")
    member_of = user.project_memberships.order_by().values("project_id")
    awaiting = awaiting.filter(project_id__in=managed.union(member_of))
    my_actions, my_actions_total = first_rows(mine, HOME_ACTION_LIMIT)
    to_verify, to_verify_total = first_rows(
        awaiting.annotate(next_visit_id=_next_open_visit()).order_by("done_on", "pk"),
        HOME_ACTION_LIMIT,
    )
    return {
        "my_actions": [
            (action, (today - action.due_date).days if action.is_overdue(today) else 0)
            for action in my_actions
        ],
        "my_actions_total": my_actions_total,
        "actions_to_verify": to_verify,
        "actions_to_verify_total": to_verify_total,
    }
