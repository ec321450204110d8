"""Reads behind the evaluation pages: the dashboard's series, scorecards, the feedback
summary and a project's follow-up report. Every read is a fixed number of queries
(grouped aggregates and subqueries), whatever the number of rows."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import get_language

from huifang.actions.models import OPEN_ACTION_STATUSES, ActionStatus, ImprovementAction
from huifang.core import dataversion
from huifang.core.aggregates import count_of
from huifang.core.models import Role, User
from huifang.core.monthversions import month_end
from huifang.insights import metrics
from huifang.insights.models import PolicyAcknowledgement
from huifang.policy.models import Policy, PolicyVersion
from huifang.policy.queries import version_in_force
from huifang.projects.models import Membership, Project
from huifang.visits.models import (
    Feedback,
    Problem,
    ProblemCategory,
    Severity,
    Visit,
    VisitRecord,
)

if TYPE_CHECKING:
    from huifang.core.access import AnyUser

# The dashboard's series shows the period's last MAX_MONTHS months.
MAX_MONTHS = 24
AGEING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("90+", 91, None),
)


def policy_targets(today: datetime.date) -> dict[str, float | None]:
    """Targets of the default policy's version in force (none without a policy)."""
    policy = Policy.objects.filter(is_default=True).first()
    version = version_in_force(policy, on=today) if policy else None
    if version is None:
        return {"on_time_rate": None, "csat": None, "nps": None, "closure_days": None}
    return {
        "on_time_rate": float(version.target_on_time_rate),
        "csat": float(version.target_csat),
        "nps": float(version.target_nps),
        "closure_days": float(version.target_action_closure_days),
    }


def dashboard(
    *, user: AnyUser, date_from: datetime.date, date_to: datetime.date, today: datetime.date
) -> dict[str, Any]:
    """Everything the dashboard draws, scoped to what ``user`` may see; cached until the
    data changes (:mod:`huifang.core.dataversion`). The labels are in the active
    language, so it is part of the key."""
    parts = (
        metrics.scope_key(user),
        date_from,
        date_to,
        today,
        get_language(),
        timezone.get_current_timezone_name(),
    )
    # Cacheable: figures of the user's scope; the labels are words: language in the key.
    return dataversion.cached(
        "insights.dashboard",
        parts,
        lambda: _dashboard(user=user, date_from=date_from, date_to=date_to, today=today),
    )


def _dashboard(
    *, user: AnyUser, date_from: datetime.date, date_to: datetime.date, today: datetime.date
) -> dict[str, Any]:
    # The months' counts are the metrics summary's own (each month cached until it
    # changes): the series, problems and action funnel are read from them too.
    scope = metrics.Scope(user=user)
    months = metrics.cached_month_counts(scope, date_from, date_to, today)
    series: list[dict[str, Any]] = []
    for key, counts in list(months.items())[-MAX_MONTHS:]:
        month = datetime.date.fromisoformat(f"{key}-01")
        csat = metrics.ratio(counts["satisfied"], counts["rated"])
        scored = counts["scored"]
        series.append(
            {
                "month": key,
                "due_from": month.isoformat(),
                "due_to": month_end(month).isoformat(),
                "on_time_rate": metrics.ratio(counts["on_time"], counts["due"]),
                "coverage_rate": metrics.ratio(counts["covered_active"], counts["active"]),
                "csat": None if csat is None else csat * 100,
                "nps": None
                if not scored
                else (counts["promoters"] - counts["detractors"]) * 100 / scored,
            }
        )
    problems: Counter[tuple[str, str]] = Counter()
    funnel_counts: Counter[str] = Counter()
    for counts in months.values():
        problems.update(counts["problems"])
        funnel_counts.update(counts["funnel"])
    actions = ImprovementAction.objects.visible_to(user)
    ageing_row = actions.filter(status__in=OPEN_ACTION_STATUSES).aggregate(
        **{
            label: Count("pk", filter=_age_filter(today, low, high))
            for label, low, high in AGEING_BUCKETS
        }
    )
    return {
        "months": series,
        "targets": policy_targets(today),
        "summary": metrics.figures(
            months.values(), metrics.active_project_ids(scope, date_from, date_to)
        ),
        "problems": _labelled(
            {"category": category, "severity": severity, "count": count}
            for (category, severity), count in sorted(problems.items())
        ),
        "funnel": [
            {
                "status": status.value,
                "label": str(status.label),
                "count": funnel_counts.get(status, 0),
            }
            for status in ActionStatus
        ],
        "ageing": [{"bucket": label, "count": ageing_row[label]} for label, _, _ in AGEING_BUCKETS],
        "overdue_visits": Visit.objects.visible_to(user).overdue(today).count(),
        "overdue_actions": actions.overdue(today).count(),
    }


def _labelled(rows: Any) -> list[dict[str, Any]]:
    """Grouped problem rows with the category's and severity's display names."""
    categories = dict(ProblemCategory.choices)
    severities = dict(Severity.choices)
    return [
        {
            **row,
            "category_label": str(categories.get(row["category"], row["category"])),
            "severity_label": str(severities.get(row.get("severity"), row.get("severity", ""))),
        }
        for row in rows
    ]


def _age_filter(today: datetime.date, low: int, high: int | None) -> Q:
    """Open actions created between ``high`` and ``low`` days ago."""
    q = Q(created_at__date__lte=today - datetime.timedelta(days=low))
    if high is not None:
        q &= Q(created_at__date__gte=today - datetime.timedelta(days=high))
    return q


# --- Scorecards -------------------------------------------------------------------------


def _average(queryset: QuerySet[Any], field: str) -> Subquery:
    averaged = queryset.order_by().annotate(
        a=Func(F(field), function="AVG", output_field=FloatField())
    )
    return Subquery(averaged.values("a"), output_field=FloatField())


SCORECARD_SORTS: dict[str, tuple[str, ...] | str] = {
    "name": ("username",),
    "role": ("role", "username"),
    "visits": "visits_owned",
    "on_time": "visits_on_time",
    "on_time_rate": "on_time_rate",
    "completeness": "record_completeness",
    "actions": "actions_closed_on_time",
    "satisfaction": "avg_satisfaction",
}


def scorecards(*, date_from: datetime.date, date_to: datetime.date) -> QuerySet[User]:
    """One row per project manager and member with their figures for the period:
    visits they own due in the period (not cancelled) and those done on time; the
    share of their submitted records (of those visits) with all four sections
    filled; their actions verified effective in the period whose work was done by
    the due date; the average overall satisfaction received in the period on the
    projects they manage or belong to."""
    owned = Visit.objects.filter(
        owner=OuterRef("pk"), due_date__range=(date_from, date_to)
    ).exclude(status="cancelled")
    records = VisitRecord.objects.filter(
        visit__owner=OuterRef("pk"),
        visit__due_date__range=(date_from, date_to),
        status="submitted",
    )
    complete = records.filter(metrics.complete_record_filter())
    closed_on_time = ImprovementAction.objects.filter(
        owner=OuterRef("pk"),
        status=ActionStatus.VERIFIED_EFFECTIVE,
        closed_on__range=(date_from, date_to),
        done_on__lte=F("due_date"),
    )
    their_projects = Q(project__manager_id=OuterRef("pk")) | Q(
        project_id__in=Membership.objects.filter(user_id=OuterRef(OuterRef("pk"))).values(
            "project_id"
        )
    )
    feedback = Feedback.objects.filter(their_projects, received_on__range=(date_from, date_to))
    users = User.objects.filter(is_active=True, role__in=(Role.PROJECT_MANAGER, Role.MEMBER))
    return users.annotate(
        visits_owned=count_of(owned),
        visits_on_time=count_of(owned.filter(status="done", completed_on__lte=F("due_date"))),
        records_submitted=count_of(records),
        records_complete=count_of(complete),
        actions_closed_on_time=count_of(closed_on_time),
        avg_satisfaction=_average(feedback, "overall_satisfaction"),
    ).annotate(
        on_time_rate=_safe_divide("visits_on_time", "visits_owned"),
        record_completeness=_safe_divide("records_complete", "records_submitted"),
    )


def _safe_divide(numerator: str, denominator: str) -> Any:
    return Case(
        When(
            **{f"{denominator}__gt": 0},
            then=Cast(numerator, FloatField()) / Cast(denominator, FloatField()),
        ),
        default=None,
        output_field=FloatField(),
    )


# --- Feedback summary and project report -------------------------------------------------


def feedback_texts(
    *, user: AnyUser, date_from: datetime.date, date_to: datetime.date
) -> QuerySet[Feedback]:
    """Feedback of the period that says something in words (evaluation, suggestions
    or requirement changes), with what grouping needs, in one query."""
    said = ~Q(evaluation="") | ~Q(suggestions="") | ~Q(requirement_changes="")
    return (
        Feedback.objects.visible_to(user)
        .filter(said, received_on__range=(date_from, date_to))
        .select_related("project__customer", "respondent", "visit")
        .order_by("project__customer__name", "project__code", "-received_on", "-id")
    )


def problem_categories(
    *, user: AnyUser, date_from: datetime.date, date_to: datetime.date
) -> list[dict[str, Any]]:
    return _labelled(
        Problem.objects.visible_to(user)
        .filter(metrics.day_range("created_at", date_from, date_to))
        .values("category")
        .order_by("category")
        .annotate(
            count=Count("pk"),
            from_customer=Count("pk", filter=Q(raised_by="customer")),
            resolved=Count("pk", filter=Q(status="resolved")),
        )
    )


def project_report(project: Project, *, today: datetime.date) -> dict[str, Any]:
    """A project's follow-up report: its visits, satisfaction over time, problems and
    actions with their verification."""
    visits = project.visits.aggregate(
        planned=Count("pk", filter=~Q(status="cancelled")),
        done=Count("pk", filter=Q(status="done")),
        on_time=Count("pk", filter=Q(status="done", completed_on__lte=F("due_date"))),
        missed=Count("pk", filter=Q(status="missed")),
        cancelled=Count("pk", filter=Q(status="cancelled")),
    )
    problems = project.problems.aggregate(
        found=Count("pk"), resolved=Count("pk", filter=Q(status="resolved"))
    )
    actions = project.actions.aggregate(
        total=Count("pk", distinct=True),
        verified_effective=Count(
            "pk", distinct=True, filter=Q(status=ActionStatus.VERIFIED_EFFECTIVE)
        ),
        open=Count("pk", distinct=True, filter=Q(status__in=OPEN_ACTION_STATUSES)),
        awaiting=Count("pk", distinct=True, filter=Q(status=ActionStatus.DONE)),
        ineffective_verdicts=Count(
            "verifications", filter=Q(verifications__result="not_effective")
        ),
    )
    satisfaction = list(
        project.feedback.filter(overall_satisfaction__isnull=False)
        .order_by("received_on", "id")
        .values("received_on", "overall_satisfaction", "likelihood_to_recommend")
    )
    return {
        "visits": visits,
        "on_time_rate": metrics.ratio(visits["on_time"], visits["planned"]),
        "problems": problems,
        "actions": actions,
        "satisfaction": [
            {
                "date": row["received_on"].isoformat(),
                "overall": row["overall_satisfaction"],
                "recommend": row["likelihood_to_recommend"],
            }
            for row in satisfaction
        ],
        "action_list": list(
            project.actions.select_related("owner").prefetch_related("verifications")
        ),
    }


# --- Acknowledgements ----------------------------------------------------------------------


def version_to_acknowledge(today: datetime.date) -> PolicyVersion | None:
    policy = Policy.objects.filter(is_default=True).first()
    return version_in_force(policy, on=today) if policy else None


def staff_acknowledgements(version: PolicyVersion) -> QuerySet[User]:
    """Active staff with whether (and when) they acknowledged ``version``."""
    acked = PolicyAcknowledgement.objects.filter(user=OuterRef("pk"), version=version)
    return (
        User.objects.filter(is_active=True)
        .annotate(
            acknowledged=Exists(acked),
            acknowledged_at=Subquery(acked.values("acknowledged_at")[:1]),
        )
        .order_by("acknowledged", "username")
    )


@dataclass(frozen=True)
class AcknowledgementRate:
    version: PolicyVersion
    acknowledged: int
    staff: int

    @property
    def rate(self) -> float | None:
        return metrics.ratio(self.acknowledged, self.staff)


def acknowledgement_rates() -> list[AcknowledgementRate]:
    """Per published version of the default policy, newest first: how many of today's
    active staff acknowledged it (one query for the versions and their counts, one for
    the staff)."""
    staff = User.objects.filter(is_active=True).count()
    acknowledged = PolicyAcknowledgement.objects.filter(
        version=OuterRef("pk"), user__is_active=True
    )
    versions = (
        PolicyVersion.objects.published()
        .filter(policy__is_default=True)
        .select_related("policy")
        .annotate(acknowledged=count_of(acknowledged))
        .order_by("-number")
    )
    return [
        AcknowledgementRate(
            version=version,
            acknowledged=version.acknowledged,  # type: ignore[attr-defined]
            staff=staff,
        )
        for version in versions
    ]
