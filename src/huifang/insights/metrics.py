"""The evaluation metrics of DESIGN.md ("Metric definitions"), in one module.

:func:`summary` is the one entry point (pages, reviews, exports and the REST endpoint
``GET /api/v1/metrics/summary`` call it). Every figure is computed by the database
(conditional ``Count``/``Avg`` aggregates and ``Exists`` subqueries) over querysets
scoped by :mod:`huifang.core.access`, so a member sees only their projects' figures;
the number of queries is fixed (seven) whatever the data size, and the result is
cached until the data changes (:func:`summary`).

Ratios are floats 0–1, CSAT 0–100, NPS −100…100, and ``None`` when the denominator
is zero. The period ``date_from``–``date_to`` is inclusive and applies as follows:

* visits_due, visits_done_on_time, on_time_rate, completion_rate — visits whose
  **due date** is in the period, not cancelled. On time: done with
  ``completed_on <= due_date``; completion: done (on time or late) / due.
* overdue_open — visits due in the period, neither done nor cancelled (a ``missed``
  visit counts), with ``due_date < today``.
* coverage_rate — projects *active in the period* (status active, on hold or
  completed, started on or before ``date_to`` and not ended before ``date_from``,
  start = actual else planned start, end = actual else planned end) that have at
  least one visit **completed** in the period / projects active in the period.
* csat, avg_satisfaction, nps — feedback **received** in the period (visit records and
  survey responses alike). CSAT and the average use rows with an overall satisfaction;
  NPS uses rows with a likelihood to recommend (9–10 promoters, 0–6 detractors; the
  thresholds are :mod:`huifang.core.scores`).
* actions_created — actions whose **creation date** is in the period;
  actions_closed — actions verified effective with ``closed_on`` in the period;
  action_closure_rate — of the actions created in the period, the share already
  verified effective; actions_overdue — actions due in the period still open
  (open / in progress / reopened) with ``due_date < today``.
* verification_effective_rate — verdicts recorded in **submitted** visit records with
  ``verified_on`` in the period: effective / (effective + not effective);
  "not yet verifiable" verdicts are not verdicts and are left out.
* record_completeness — submitted records of visits **due** in the period whose four
  content sections of the policy (三) are all filled / submitted records:
  progress = ``work_completed`` not empty; problems = at least one problem row;
  feedback = at least one feedback row; improvement = at least one action raised in
  the record or one verification made in it. The record form has no "no problems"
  flag, so a quiet visit without problems or actions counts as incomplete: the
  metric measures whether records cover the whole content the policy asks for.
* survey_response_rate — invitations **sent** in the period that were answered /
  invitations sent in the period (``None`` while the surveys app has no invitations).

Filters: ``project``, ``manager``, ``customer`` (objects or ids), ``department`` (the
project's department) and ``phase`` (the visit's phase; for feedback, actions,
verifications and invitations the phase of the visit they came from — actions not
raised at a visit are left out when a phase is given).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from huifang.actions.models import OPEN_ACTION_STATUSES, ActionVerification, ImprovementAction
from huifang.core import dataversion, scores
from huifang.core.access import project_scope, sees_all_projects
from huifang.projects.models import Project
from huifang.visits.models import Feedback, Problem, Visit, VisitRecord

if TYPE_CHECKING:
    from huifang.core.access import AnyUser

Metrics = dict[str, float | int | None]

METRIC_NAMES: tuple[str, ...] = (
    "visits_due",
    "visits_done_on_time",
    "on_time_rate",
    "completion_rate",
    "overdue_open",
    "coverage_rate",
    "csat",
    "avg_satisfaction",
    "nps",
    "actions_created",
    "actions_closed",
    "action_closure_rate",
    "actions_overdue",
    "verification_effective_rate",
    "record_completeness",
    "survey_response_rate",
)

ACTIVE_PROJECT_STATUSES = ("active", "on_hold", "completed")


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


class Scope:
    """The user's scope plus the dimension filters, as ``Q`` objects for any model
    given its lookup path to the project (and to the visit, for ``phase``)."""

    def __init__(
        self,
        *,
        user: AnyUser,
        project: Any = None,
        manager: Any = None,
        customer: Any = None,
        department: str | None = None,
        phase: str | None = None,
    ) -> None:
        self.user = user
        self.project = _pk(project)
        self.manager = _pk(manager)
        self.customer = _pk(customer)
        self.department = department or None
        self.phase = phase or None

    def q(self, project_path: str, visit_path: str | None) -> Q:
        prefix = f"{project_path}__" if project_path else ""
        q = project_scope(self.user, project_path)
        if self.project is not None:
            q &= Q(**{f"{prefix}pk": self.project})
        if self.manager is not None:
            q &= Q(**{f"{prefix}manager_id": self.manager})
        if self.customer is not None:
            q &= Q(**{f"{prefix}customer_id": self.customer})
        if self.department is not None:
            q &= Q(**{f"{prefix}department": self.department})
        if self.phase is not None:
            if visit_path is None:
                return Q(pk__in=[])
            q &= Q(**{f"{visit_path}__phase" if visit_path else "phase": self.phase})
        return q


def ratio(numerator: int | None, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return (numerator or 0) / denominator


def visit_figures(
    scope: Scope, date_from: datetime.date, date_to: datetime.date, today: datetime.date
) -> Metrics:
    due = Q(due_date__range=(date_from, date_to)) & ~Q(status="cancelled")
    done = due & Q(status="done")
    row = Visit.objects.filter(scope.q("project", "")).aggregate(
        due=Count("pk", filter=due),
        done=Count("pk", filter=done),
        on_time=Count("pk", filter=done & Q(completed_on__lte=F("due_date"))),
        overdue=Count("pk", filter=due & ~Q(status="done") & Q(due_date__lt=today)),
    )
    return {
        "visits_due": row["due"],
        "visits_done_on_time": row["on_time"],
        "on_time_rate": ratio(row["on_time"], row["due"]),
        "completion_rate": ratio(row["done"], row["due"]),
        "overdue_open": row["overdue"],
    }


def active_projects(scope: Scope, date_from: datetime.date, date_to: datetime.date) -> Any:
    return (
        Project.objects.filter(scope.q("", None) if scope.phase is None else _no_phase(scope))
        .annotate(
            _start=Coalesce("actual_start", "planned_start"),
            _end=Coalesce("actual_end", "planned_end"),
        )
        .filter(status__in=ACTIVE_PROJECT_STATUSES, _start__lte=date_to)
        .filter(Q(_end__isnull=True) | Q(_end__gte=date_from))
    )


def _no_phase(scope: Scope) -> Q:
    # A project has no phase: the phase filter applies to the visits counted.
    return Scope(
        user=scope.user,
        project=scope.project,
        manager=scope.manager,
        customer=scope.customer,
        department=scope.department,
    ).q("", None)


def coverage_rate(scope: Scope, date_from: datetime.date, date_to: datetime.date) -> float | None:
    visited = Visit.objects.filter(
        project=OuterRef("pk"), status="done", completed_on__range=(date_from, date_to)
    )
    if scope.phase is not None:
        visited = visited.filter(phase=scope.phase)
    row = active_projects(scope, date_from, date_to).aggregate(
        active=Count("pk"), covered=Count("pk", filter=Q(Exists(visited)))
    )
    return ratio(row["covered"], row["active"])


def monthly_coverage(scope: Scope, months: list[datetime.date]) -> dict[datetime.date, Any]:
    """:func:`coverage_rate` of every month in ``months`` (first days, ascending) in two
    queries instead of one per month: the active projects counted per month in one
    aggregate, and the covered ones grouped by the month of their done visits."""
    if not months:
        return {}

    def end_of(month: datetime.date) -> datetime.date:
        return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)

    first, last = months[0], end_of(months[-1])
    projects = active_projects(scope, first, last)
    active = projects.aggregate(
        **{
            f"m{i}": Count(
                "pk",
                filter=Q(_start__lte=end_of(month)) & (Q(_end__isnull=True) | Q(_end__gte=month)),
            )
            for i, month in enumerate(months)
        }
    )
    visits = Visit.objects.filter(
        project__in=projects.values("pk"), status="done", completed_on__range=(first, last)
    )
    if scope.phase is not None:
        visits = visits.filter(phase=scope.phase)
    # A project counts in a month when it was active then: started by the month's end
    # (its start's month is not later) and not ended before the month's first day.
    covered = {
        _as_date(row["month"]): row["covered"]
        for row in visits.annotate(
            month=TruncMonth("completed_on"),
            _start_month=TruncMonth(Coalesce("project__actual_start", "project__planned_start")),
            _end=Coalesce("project__actual_end", "project__planned_end"),
        )
        .filter(_start_month__lte=F("month"))
        .filter(Q(_end__isnull=True) | Q(_end__gte=F("month")))
        .values("month")
        .order_by("month")
        .annotate(covered=Count("project_id", distinct=True))
    }
    return {month: ratio(covered.get(month, 0), active[f"m{i}"]) for i, month in enumerate(months)}


def _as_date(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def day_range(field: str, date_from: datetime.date, date_to: datetime.date) -> Q:
    """``field__date__range`` as bounds on the timestamp itself (``field >= start of
    date_from``, ``< start of the day after date_to`` in the current time zone), which
    an index can serve and which spares converting every row's time zone."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


# Which feedback rows count as satisfied, promoters and detractors.
SATISFIED = Q(overall_satisfaction__gte=scores.SATISFIED_MIN)
PROMOTER = Q(likelihood_to_recommend__gte=scores.PROMOTER_MIN)
DETRACTOR = Q(likelihood_to_recommend__lte=scores.DETRACTOR_MAX)


def feedback_figures(scope: Scope, date_from: datetime.date, date_to: datetime.date) -> Metrics:
    rated = Q(overall_satisfaction__isnull=False)
    scored = Q(likelihood_to_recommend__isnull=False)
    row = Feedback.objects.filter(
        scope.q("project", "visit"), received_on__range=(date_from, date_to)
    ).aggregate(
        rated=Count("pk", filter=rated),
        satisfied=Count("pk", filter=rated & SATISFIED),
        average=Avg("overall_satisfaction"),
        scored=Count("pk", filter=scored),
        promoters=Count("pk", filter=scored & PROMOTER),
        detractors=Count("pk", filter=scored & DETRACTOR),
    )
    csat = ratio(row["satisfied"], row["rated"])
    promoters = ratio(row["promoters"], row["scored"])
    detractors = ratio(row["detractors"], row["scored"])
    return {
        "csat": None if csat is None else csat * 100,
        "avg_satisfaction": None if row["average"] is None else float(row["average"]),
        "nps": None if promoters is None or detractors is None else (promoters - detractors) * 100,
    }


def action_figures(
    scope: Scope, date_from: datetime.date, date_to: datetime.date, today: datetime.date
) -> Metrics:
    created = day_range("created_at", date_from, date_to)
    closed = Q(status="verified_effective")
    row = ImprovementAction.objects.filter(scope.q("project", "record__visit")).aggregate(
        created=Count("pk", filter=created),
        created_closed=Count("pk", filter=created & closed),
        closed=Count("pk", filter=closed & Q(closed_on__range=(date_from, date_to))),
        overdue=Count(
            "pk",
            filter=Q(status__in=OPEN_ACTION_STATUSES, due_date__range=(date_from, date_to))
            & Q(due_date__lt=today),
        ),
    )
    return {
        "actions_created": row["created"],
        "actions_closed": row["closed"],
        "action_closure_rate": ratio(row["created_closed"], row["created"]),
        "actions_overdue": row["overdue"],
    }


def verification_effective_rate(
    scope: Scope, date_from: datetime.date, date_to: datetime.date
) -> float | None:
    row = ActionVerification.objects.filter(
        scope.q("action__project", "record__visit"),
        record__status="submitted",
        verified_on__range=(date_from, date_to),
    ).aggregate(
        verified=Count("pk", filter=Q(result__in=("effective", "not_effective"))),
        effective=Count("pk", filter=Q(result="effective")),
    )
    return ratio(row["effective"], row["verified"])


def complete_record_filter() -> Q:
    """The four content sections of a record, filled (see the module docstring)."""

    def has(model: Any) -> Exists:
        return Exists(model.objects.filter(record=OuterRef("pk")))

    return (
        ~Q(work_completed="")
        & Q(has(Problem))
        & Q(has(Feedback))
        & (Q(has(ImprovementAction)) | Q(has(ActionVerification)))
    )


def record_completeness(
    scope: Scope, date_from: datetime.date, date_to: datetime.date
) -> float | None:
    row = VisitRecord.objects.filter(
        scope.q("visit__project", "visit"),
        status="submitted",
        visit__due_date__range=(date_from, date_to),
    ).aggregate(submitted=Count("pk"), complete=Count("pk", filter=complete_record_filter()))
    return ratio(row["complete"], row["submitted"])


def survey_response_rate(
    scope: Scope, date_from: datetime.date, date_to: datetime.date
) -> float | None:
    # Imported lazily: the surveys app is optional for these figures.
    try:
        from huifang.surveys.models import SurveyInvitation  # optional app: see above
    except ImportError:  # pragma: no cover - surveys not installed
        return None
    row = SurveyInvitation.objects.filter(
        scope.q("project", "visit"), day_range("sent_at", date_from, date_to)
    ).aggregate(sent=Count("pk"), answered=Count("pk", filter=Q(responded_at__isnull=False)))
    return ratio(row["answered"], row["sent"])


def summary(
    *,
    user: AnyUser,
    date_from: datetime.date,
    date_to: datetime.date,
    project: Any = None,
    manager: Any = None,
    customer: Any = None,
    department: str | None = None,
    phase: str | None = None,
    today: datetime.date | None = None,
) -> dict[str, float | int | None]:
    """Every metric of DESIGN.md for the period and filters, as the user may see it.

    Cached until the data changes (:mod:`huifang.core.dataversion`): the figures depend
    only on the data, the user's scope, the filters, the dates and the time zone."""
    today = today or timezone.localdate()
    parts = (
        scope_key(user),
        *(_pk(value) for value in (project, manager, customer)),
        department,
        phase,
        date_from,
        date_to,
        today,
        timezone.get_current_timezone_name(),
    )

    def compute() -> dict[str, float | int | None]:
        return _summary(
            user=user,
            date_from=date_from,
            date_to=date_to,
            project=project,
            manager=manager,
            customer=customer,
            department=department,
            phase=phase,
            today=today,
        )

    # Cacheable: numbers only, for the scope, filters and dates in the key.
    return dataversion.cached("metrics.summary", parts, compute)


def scope_key(user: AnyUser) -> str:
    """What a user's figures depend on besides the filters: everyone who sees every
    project shares one scope; anyone else has their own."""
    return "all" if sees_all_projects(user) else f"user:{user.pk}"


def _summary(
    *,
    user: AnyUser,
    date_from: datetime.date,
    date_to: datetime.date,
    project: Any,
    manager: Any,
    customer: Any,
    department: str | None,
    phase: str | None,
    today: datetime.date,
) -> dict[str, float | int | None]:
    scope = Scope(
        user=user,
        project=project,
        manager=manager,
        customer=customer,
        department=department,
        phase=phase,
    )
    figures: Metrics = {}
    figures.update(visit_figures(scope, date_from, date_to, today))
    figures["coverage_rate"] = coverage_rate(scope, date_from, date_to)
    figures.update(feedback_figures(scope, date_from, date_to))
    figures.update(action_figures(scope, date_from, date_to, today))
    figures["verification_effective_rate"] = verification_effective_rate(scope, date_from, date_to)
    figures["record_completeness"] = record_completeness(scope, date_from, date_to)
    figures["survey_response_rate"] = survey_response_rate(scope, date_from, date_to)
    return {name: figures[name] for name in METRIC_NAMES}
