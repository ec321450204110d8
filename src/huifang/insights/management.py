"""Reads behind the management home: the policy's targets against the figures, what is
overdue by department and by project manager, the latest detractors and the open
actions that reviews and meetings decided.

Only people who see every project (quality managers, executives, admins) open it, so
every figure here is company-wide; the whole page is kept under the data version
(:mod:`huifang.core.dataversion`) per day and language. A fixed number of queries,
whatever the number of projects."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from huifang.actions.models import ActionOrigin, ImprovementAction
from huifang.core import dataversion
from huifang.insights import metrics
from huifang.insights.queries import policy_targets
from huifang.visits.models import Feedback, Visit

if TYPE_CHECKING:
    from huifang.core.access import AnyUser

# How many detractors and review actions the page lists (each list links to all).
LIST_LIMIT = 8


def management_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The current month and the two before it: long enough for survey answers to
    count, short enough that the figures describe how the work goes now."""
    month, year = today.month - 2, today.year
    if month < 1:
        month, year = month + 12, year - 1
    return datetime.date(year, month, 1), today


@dataclass(frozen=True)
class TargetRow:
    name: str  # the metric's name (insights.labels)
    label: str
    value: float | None
    target: float | None
    met: bool | None  # None: no figure or no target


@dataclass(frozen=True)
class OverdueRow:
    key: str  # the department's name, or the manager's id
    label: str
    visits: int
    actions: int


def management_home(*, user: AnyUser, today: datetime.date) -> dict[str, Any]:
    # The scope is in the key although only those who see every project open the page:
    # a cached value must never outlive the rule that let its reader see it.
    parts = (metrics.scope_key(user), today, get_language(), timezone.get_current_timezone_name())
    # Cacheable: figures of the scope and day; the labels are words: language in the key.
    return dataversion.cached(
        "insights.management", parts, lambda: _management_home(user=user, today=today)
    )


def _management_home(*, user: AnyUser, today: datetime.date) -> dict[str, Any]:
    date_from, date_to = management_period(today)
    figures = metrics.summary(user=user, date_from=date_from, date_to=date_to, today=today)
    targets = policy_targets(today)
    visits = Visit.objects.overdue(today)
    actions = ImprovementAction.objects.overdue(today)
    return {
        "date_from": date_from,
        "date_to": date_to,
        "targets": _target_rows(figures, targets, _closure_days(date_from, date_to)),
        "by_department": _overdue_rows(visits, actions, "project__department"),
        "by_manager": _overdue_rows(visits, actions, "project__manager"),
        "detractors": list(
            Feedback.objects.filter(
                metrics.DETRACTOR,
                received_on__lte=today,
            )
            .select_related("project", "respondent", "visit")
            .order_by("-received_on", "-pk")[:LIST_LIMIT]
        ),
        "review_actions": list(
            ImprovementAction.objects.open()
            .filter(origin__in=(ActionOrigin.REVIEW, ActionOrigin.MEETING))
            .select_related("project", "owner")
            .order_by("due_date", "pk")[:LIST_LIMIT]
        ),
        "review_actions_total": ImprovementAction.objects.open()
        .filter(origin__in=(ActionOrigin.REVIEW, ActionOrigin.MEETING))
        .count(),
    }


def _closure_days(date_from: datetime.date, date_to: datetime.date) -> float | None:
    """Average days from raising an action to verifying it effective, over the actions
    verified in the period."""
    closed = ImprovementAction.objects.filter(closed_on__range=(date_from, date_to))
    days = [
        max(0, (closed_on - timezone.localdate(created)).days)
        for created, closed_on in closed.values_list("created_at", "closed_on")
        if closed_on is not None
    ]
    return sum(days) / len(days) if days else None


def _target_rows(
    figures: dict[str, Any], targets: dict[str, float | None], closure_days: float | None
) -> list[TargetRow]:
    on_time = figures["on_time_rate"]
    rows = [
        ("on_time_rate", _("On-time rate"), on_time, targets["on_time_rate"], True),
        ("csat", _("CSAT"), figures["csat"], targets["csat"], True),
        ("nps", _("NPS"), figures["nps"], targets["nps"], True),
        (
            "closure_days",
            _("Days to close an action"),
            closure_days,
            targets["closure_days"],
            False,  # fewer is better
        ),
    ]
    return [
        TargetRow(
            name=name,
            label=label,
            value=value,
            target=target,
            met=None
            if value is None or target is None
            else (value >= target if higher_is_better else value <= target),
        )
        for name, label, value, target, higher_is_better in rows
    ]


MANAGER_NAMES = ("project__manager__display_name", "project__manager__username")


def _overdue_rows(visits: Any, actions: Any, field: str) -> list[OverdueRow]:
    """Overdue visits and actions counted per ``field`` of their project (its
    department or its manager), most first."""
    names = MANAGER_NAMES if field == "project__manager" else ()
    counts: dict[Any, dict[str, Any]] = {}
    for kind, rows in (("visits", visits), ("actions", actions)):
        for row in rows.values(field, *names).order_by().annotate(count=Count("pk")):
            entry = counts.setdefault(row[field], {"visits": 0, "actions": 0, "row": row})
            entry[kind] = row["count"]
    result = [
        OverdueRow(
            key="" if key is None else str(key),
            label=_label(field, entry["row"]),
            visits=entry["visits"],
            actions=entry["actions"],
        )
        for key, entry in counts.items()
    ]
    return sorted(result, key=lambda row: (-(row.visits + row.actions), row.label))


def _label(field: str, row: dict[str, Any]) -> str:
    if field == "project__department":
        return row[field] or _("No department")
    return row["project__manager__display_name"] or row["project__manager__username"]
