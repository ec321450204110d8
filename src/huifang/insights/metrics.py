"""The evaluation metrics of DESIGN.md ("Metric definitions"), in one module.

:func:`summary` is the one entry point (pages, reviews, exports and the REST endpoint
``GET /api/v1/metrics/summary`` call it). Every figure is computed by the database
(conditional ``Count``/``Sum`` aggregates grouped by month, and ``Exists`` subqueries)
over querysets scoped by :mod:`huifang.core.access`, so a member sees only their
projects' figures; the number of queries is fixed whatever the data size and the
period's length; every month's counts are cached until that month's data changes
(:mod:`huifang.core.monthversions`), and the figures until any data changes
(:func:`summary`).

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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from huifang.actions.models import OPEN_ACTION_STATUSES, ActionVerification, ImprovementAction
from huifang.core import dataversion, monthversions, scores
from huifang.core.access import project_scope, sees_all_projects
from huifang.core.aggregates import DistinctIds, ids_of
from huifang.core.monthversions import Piece, month_end, month_key
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation
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

    def key(self) -> tuple[Any, ...]:
        """What figures of this scope depend on, for cache keys."""
        return (
            scope_key(self.user),
            self.project,
            self.manager,
            self.customer,
            self.department,
            self.phase,
        )

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


# --- Counts per month -----------------------------------------------------------------
# Every figure is a ratio of counts over one date column each, so the counts of a
# period are the sums of its months' (coverage, which counts projects, keeps the set
# of projects visited each month). Months are cached one by one under their month
# version (core/monthversions.py): after a visit is recorded today, a year's figures
# cost this month's counts, not a year's.

MonthCounts = dict[str, Any]
ADDITIVE: tuple[str, ...] = (
    "due",
    "done",
    "on_time",
    "overdue",
    "rated",
    "satisfied",
    "satisfaction_sum",
    "scored",
    "promoters",
    "detractors",
    "created",
    "created_closed",
    "closed",
    "actions_overdue",
    "verified",
    "effective",
    "submitted",
    "complete",
    "sent",
    "answered",
)


def _within(field: str, pieces: list[Piece], *, timestamp: bool = False) -> Q:
    """``field`` in any of the pieces (one range each, so that an index serves it)."""
    q = Q(pk__in=[])
    for piece in pieces:
        q |= (
            day_range(field, piece.start, piece.end)
            if timestamp
            else Q(**{f"{field}__range": (piece.start, piece.end)})
        )
    return q


def _by_month(queryset: Any, field: str, *group: str, **counts: Any) -> list[dict[str, Any]]:
    rows = (
        queryset.annotate(_month=TruncMonth(field))
        .values("_month", *group)
        .order_by()
        .annotate(**counts)
    )
    return [{**row, "_month": month_key(_as_date(row["_month"]))} for row in rows]


@contextmanager
def _index_probes_preferred() -> Iterator[None]:
    """On PostgreSQL, plan the enclosed queries for data held in memory (a random page
    read costed as 1.1 sequential ones rather than 4). Recomputing the month or two a
    write touched, the planner otherwise read whole tables of problems, feedback and
    actions into hashes to test a few thousand records (record completeness: 240 ms
    for a month; 40 ms by index). Local to a transaction of its own (a savepoint
    inside a request's), and set back before it ends."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL random_page_cost TO DEFAULT")


def month_counts(scope: Scope, pieces: list[Piece], today: datetime.date) -> dict[str, MonthCounts]:
    """The counts of each piece (a period's part in one month) for the scope: eleven
    grouped queries, whatever the number of months."""
    with _index_probes_preferred():
        return _month_counts(scope, pieces, today)


def _month_counts(
    scope: Scope, pieces: list[Piece], today: datetime.date
) -> dict[str, MonthCounts]:
    months: dict[str, MonthCounts] = {
        piece.month: {
            **dict.fromkeys(ADDITIVE, 0),
            "covered": frozenset(),
            "covered_active": 0,
            "active": 0,
            "problems": {},
            "funnel": {},
        }
        for piece in pieces
    }
    if not pieces:
        return months

    def add(rows: list[dict[str, Any]]) -> None:
        """Add each row's counts to its month's."""
        for row in rows:
            month = months[row.pop("_month")]
            for name, count in row.items():
                month[name] += count or 0

    due = ~Q(status="cancelled")
    done = Q(status="done")
    add(
        _by_month(
            Visit.objects.filter(scope.q("project", ""), _within("due_date", pieces), due),
            "due_date",
            due=Count("pk"),
            done=Count("pk", filter=done),
            on_time=Count("pk", filter=done & Q(completed_on__lte=F("due_date"))),
            overdue=Count("pk", filter=~done & Q(due_date__lt=today)),
        )
    )
    _add_coverage(months, scope, pieces)
    rated = Q(overall_satisfaction__isnull=False)
    scored = Q(likelihood_to_recommend__isnull=False)
    add(
        _by_month(
            Feedback.objects.filter(scope.q("project", "visit"), _within("received_on", pieces)),
            "received_on",
            rated=Count("pk", filter=rated),
            satisfied=Count("pk", filter=rated & SATISFIED),
            satisfaction_sum=Sum("overall_satisfaction"),
            scored=Count("pk", filter=scored),
            promoters=Count("pk", filter=scored & PROMOTER),
            detractors=Count("pk", filter=scored & DETRACTOR),
        )
    )
    actions = ImprovementAction.objects.filter(scope.q("project", "record__visit"))
    for row in _by_month(
        actions.filter(_within("created_at", pieces, timestamp=True)),
        "created_at",
        "status",
        count=Count("pk"),
    ):
        month = months[row["_month"]]
        month["created"] += row["count"]
        if row["status"] == "verified_effective":
            month["created_closed"] += row["count"]
        month["funnel"][row["status"]] = month["funnel"].get(row["status"], 0) + row["count"]
    add(
        _by_month(
            actions.filter(status="verified_effective").filter(_within("closed_on", pieces)),
            "closed_on",
            closed=Count("pk"),
        )
    )
    add(
        _by_month(
            actions.filter(status__in=OPEN_ACTION_STATUSES, due_date__lt=today).filter(
                _within("due_date", pieces)
            ),
            "due_date",
            actions_overdue=Count("pk"),
        )
    )
    add(
        _by_month(
            ActionVerification.objects.filter(
                scope.q("action__project", "record__visit"),
                _within("verified_on", pieces),
                record__status="submitted",
            ),
            "verified_on",
            verified=Count("pk", filter=Q(result__in=("effective", "not_effective"))),
            effective=Count("pk", filter=Q(result="effective")),
        )
    )
    add(
        _by_month(
            VisitRecord.objects.filter(
                scope.q("visit__project", "visit"),
                _within("visit__due_date", pieces),
                status="submitted",
            ),
            "visit__due_date",
            submitted=Count("pk"),
            complete=Count("pk", filter=complete_record_filter()),
        )
    )
    add(
        _by_month(
            SurveyInvitation.objects.filter(
                scope.q("project", "visit"), _within("sent_at", pieces, timestamp=True)
            ),
            "sent_at",
            sent=Count("pk"),
            answered=Count("pk", filter=Q(responded_at__isnull=False)),
        )
    )
    for row in _by_month(
        Problem.objects.filter(
            scope.q("project", "record__visit"), _within("created_at", pieces, timestamp=True)
        ),
        "created_at",
        "category",
        "severity",
        count=Count("pk"),
    ):
        problems = months[row["_month"]]["problems"]
        problems[row["category"], row["severity"]] = row["count"]
    return months


def _add_coverage(months: dict[str, MonthCounts], scope: Scope, pieces: list[Piece]) -> None:
    """Per piece: the projects with a visit completed in it (a period's coverage
    counts those active in the period) and, for the month's own coverage, the projects
    active in the whole month and how many of them were visited in the piece (a
    project is active in a month when it started by the month's end and had not ended
    before its first day)."""
    visited = Visit.objects.filter(
        scope.q("project", ""), _within("completed_on", pieces), status="done"
    ).annotate(
        _start_month=TruncMonth(Coalesce("project__actual_start", "project__planned_start")),
        _end=Coalesce("project__actual_end", "project__planned_end"),
    )
    active_then = (
        Q(project__status__in=ACTIVE_PROJECT_STATUSES)
        & Q(_start_month__lte=F("_month"))
        & (Q(_end__isnull=True) | Q(_end__gte=F("_month")))
    )
    rows = _by_month(
        visited,
        "completed_on",
        ids=DistinctIds("project_id"),
        covered_active=Count("project_id", distinct=True, filter=active_then),
    )
    covered = {row["_month"]: row for row in rows}
    first, last = pieces[0].start.replace(day=1), month_end(pieces[-1].end)
    active = active_projects(scope, first, last).aggregate(
        **{
            f"m{i}": Count(
                "pk",
                filter=Q(_start__lte=month_end(piece.start))
                & (Q(_end__isnull=True) | Q(_end__gte=piece.start.replace(day=1))),
            )
            for i, piece in enumerate(pieces)
        }
    )
    for i, piece in enumerate(pieces):
        month = months[piece.month]
        row = covered.get(piece.month, {})
        month["covered"] = ids_of(row.get("ids"))
        month["covered_active"] = row.get("covered_active", 0)
        month["active"] = active[f"m{i}"]


def cached_month_counts(
    scope: Scope, date_from: datetime.date, date_to: datetime.date, today: datetime.date
) -> dict[str, MonthCounts]:
    """:func:`month_counts` of the period's months (in order), each cached under its
    month's version."""
    # Cacheable: numbers only, for the scope, filters, month piece and day in the key.
    return dataversion.cached_by_month(
        "metrics.month",
        (*scope.key(), today, timezone.get_current_timezone_name()),
        monthversions.pieces(date_from, date_to),
        lambda missing: month_counts(scope, missing, today),
    )


def figures(months: Iterable[MonthCounts], active: frozenset[int]) -> Metrics:
    """Every metric of the period from its months' counts and the ids of the projects
    active in it."""
    months = list(months)
    total = {name: sum(month[name] for month in months) for name in ADDITIVE}
    covered = frozenset().union(*(month["covered"] for month in months)) & active
    csat = ratio(total["satisfied"], total["rated"])
    promoters = ratio(total["promoters"], total["scored"])
    detractors = ratio(total["detractors"], total["scored"])
    return {
        "visits_due": total["due"],
        "visits_done_on_time": total["on_time"],
        "on_time_rate": ratio(total["on_time"], total["due"]),
        "completion_rate": ratio(total["done"], total["due"]),
        "overdue_open": total["overdue"],
        "coverage_rate": ratio(len(covered), len(active)),
        "csat": None if csat is None else csat * 100,
        "avg_satisfaction": ratio(total["satisfaction_sum"], total["rated"]),
        "nps": None if promoters is None or detractors is None else (promoters - detractors) * 100,
        "actions_created": total["created"],
        "actions_closed": total["closed"],
        "action_closure_rate": ratio(total["created_closed"], total["created"]),
        "actions_overdue": total["actions_overdue"],
        "verification_effective_rate": ratio(total["effective"], total["verified"]),
        "record_completeness": ratio(total["complete"], total["submitted"]),
        "survey_response_rate": ratio(total["answered"], total["sent"]),
    }


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
    only on the data, the user's scope, the filters, the dates and the time zone. When
    it has changed, the figures are summed from the months' counts, each cached until
    its own month changes (:func:`cached_month_counts`)."""
    today = today or timezone.localdate()
    scope = Scope(
        user=user,
        project=project,
        manager=manager,
        customer=customer,
        department=department,
        phase=phase,
    )
    parts = (*scope.key(), date_from, date_to, today, timezone.get_current_timezone_name())

    def compute() -> Metrics:
        months = cached_month_counts(scope, date_from, date_to, today).values()
        return figures(months, active_project_ids(scope, date_from, date_to))

    # Cacheable: numbers only, for the scope, filters and dates in the key.
    return dataversion.cached("metrics.summary", parts, compute)


def scope_key(user: AnyUser) -> str:
    """What a user's figures depend on besides the filters: everyone who sees every
    project shares one scope; anyone else has their own."""
    return "all" if sees_all_projects(user) else f"user:{user.pk}"


def active_project_ids(
    scope: Scope, date_from: datetime.date, date_to: datetime.date
) -> frozenset[int]:
    """The projects active in the period (coverage's denominator): they depend on the
    projects and the scope alone, never on the visits, so they stay cached until a
    write moves every month (``monthversions.ANY``)."""
    # Cacheable: project ids of the scope, filters and period in the key.
    return dataversion.cached_across_months(
        "metrics.active_projects",
        (*scope.key(), date_from, date_to),
        lambda: frozenset(active_projects(scope, date_from, date_to).values_list("pk", flat=True)),
    )
