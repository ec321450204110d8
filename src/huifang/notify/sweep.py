"""The periodic sweep: reminders, escalation, missed visits, digests and warnings.

Every reminder is a notification request with an occasion naming the date it is
about, so the sweep can run any number of times (or twice at once) and each person
hears about each occasion once. Conditions are "on or after the day" rather than
"exactly on the day": a sweep that did not run yesterday catches up today instead of
losing the reminder. Timing comes from the policy version in force for each project.

The requests are created in batches by :func:`notify_many` (same rules as
:func:`~huifang.notify.services.notify`, a few queries per batch), and the sweep's own
reads are a fixed number of queries however many visits and actions are due: ten
thousand reminders take seconds, not minutes.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Model, Q
from django.utils import timezone

from huifang.actions.models import ImprovementAction
from huifang.core import dataversion
from huifang.core.errors import DomainError
from huifang.core.models import Role, User
from huifang.core.workdays import chinese_calendar_covers
from huifang.notify.models import Kind, SweepRun
from huifang.notify.services import NotifyRequest, notify_many, requeue_deliveries
from huifang.policy.models import CalendarChoices, NationalYear, PolicyVersion
from huifang.policy.queries import version_in_force
from huifang.projects.models import Project, ProjectStatusChoices
from huifang.visits.lifecycle import mark_visit_missed
from huifang.visits.models import Visit, VisitStatus

LIVE_PROJECT_STATUSES = (
    ProjectStatusChoices.PLANNED,
    ProjectStatusChoices.ACTIVE,
    ProjectStatusChoices.ON_HOLD,
)
# Reminders look at most this far ahead, whatever a policy says.
MAX_LEAD_DAYS = 60
# Notifications created per bulk insert (and per broker message for their deliveries).
BATCH_SIZE = 500
# What the loops, the messages and notify_many read of a person and of a project.
# Loading only these columns rather than every column of the four rows a visit brings
# saves about half a second on the enterprise bench; one missing here would cost a
# query per row, which the query-count test in tests/notify/test_sweep.py catches.
PERSON_COLUMNS = (
    "username",
    "first_name",
    "last_name",
    "display_name",
    "email",
    "is_active",
    "language",
)
PROJECT_COLUMNS = ("code", "name", "manager", "policy")


def _columns(relation: str, columns: tuple[str, ...]) -> list[str]:
    return [f"{relation}__{column}" for column in columns]


@dataclass
class SweepReport:
    today: datetime.date
    counts: Counter[str] = field(default_factory=Counter)
    missed: int = 0
    requeued: int = 0

    @property
    def sent(self) -> int:
        return sum(self.counts.values())


class _Versions:
    """The version in force per policy, read once per sweep."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self._cache: dict[int, PolicyVersion] = {}

    def for_project(self, project: Project) -> PolicyVersion:
        if project.policy_id not in self._cache:
            version = version_in_force(project.policy, on=self.today)
            # No published version yet: the model's defaults are the policy.
            self._cache[project.policy_id] = version or PolicyVersion()
        return self._cache[project.policy_id]


class _Outbox:
    """The notifications the sweep decided on, created :data:`BATCH_SIZE` at a time
    by :func:`notify_many` (a few queries per batch, not several per notification)."""

    def __init__(self, report: SweepReport) -> None:
        self.report = report
        self.requests: list[NotifyRequest] = []

    def tell(
        self,
        *,
        recipient: User | None,
        kind: str,
        subject: Model,
        occasion: str,
        project: Project | None,
        context: dict[str, object] | None = None,
    ) -> None:
        if recipient is None:
            return
        self.requests.append(NotifyRequest(recipient, kind, subject, occasion, context, project))
        if len(self.requests) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        requests, self.requests = self.requests, []
        for notification in notify_many(requests):
            self.report.counts[notification.kind] += 1


def _quality_managers() -> list[User]:
    return list(User.objects.filter(role=Role.QUALITY, is_active=True))


def _sweep_visit(
    outbox: _Outbox, visit: Visit, version: PolicyVersion, quality: list[User]
) -> None:
    report = outbox.report
    today = report.today
    project = visit.project
    manager = project.manager
    owner = visit.owner or manager
    due = visit.due_date
    days_to_due = (due - today).days
    days_late = -days_to_due
    context: dict[str, object] = {"owner": str(owner), "days": days_late}

    def tell(recipient: User | None, kind: str, occasion: str) -> None:
        outbox.tell(
            recipient=recipient,
            kind=kind,
            subject=visit,
            occasion=occasion,
            project=project,
            context=context,
        )

    if 0 < days_to_due <= version.reminder_lead_days:
        tell(owner, Kind.VISIT_UPCOMING, f"upcoming:{due}")
    if days_to_due == 0:
        tell(owner, Kind.VISIT_DUE_TODAY, f"due:{due}")
    if visit.status == VisitStatus.PLANNED and visit.window_start <= today <= due:
        tell(manager, Kind.VISIT_WINDOW_OPEN, f"window:{visit.window_start}")
    if days_late < 1:
        return
    tell(owner, Kind.VISIT_OVERDUE, f"overdue:{due}")
    if days_late >= version.escalate_to_manager_days and manager.pk != owner.pk:
        tell(manager, Kind.VISIT_ESCALATED_PM, f"escalate:{due}")
    if days_late >= version.escalate_to_quality_days:
        for person in quality:
            tell(person, Kind.VISIT_ESCALATED_QUALITY, f"escalate:{due}")
    if days_late > version.missed_grace_days:
        try:
            # A missed visit is no longer open, so no later sweep would tell anyone:
            # the notices are created with the change, not left in the batch.
            with transaction.atomic():
                # The whole row (the loop loaded a few columns): the change is recorded
                # in the visit's history.
                mark_visit_missed(visit=Visit.objects.get(pk=visit.pk), today=today)
                tell(owner, Kind.VISIT_MISSED, f"missed:{due}")
                if manager.pk != owner.pk:
                    tell(manager, Kind.VISIT_MISSED, f"missed:{due}")
                outbox.flush()
        except (DomainError, Visit.DoesNotExist):
            return  # somebody (or a parallel sweep) got there first
        report.missed += 1


def _sweep_visits(outbox: _Outbox, versions: _Versions) -> None:
    today = outbox.report.today
    horizon = today + datetime.timedelta(days=MAX_LEAD_DAYS)
    visits = (
        Visit.objects.open()
        .filter(project__status__in=LIVE_PROJECT_STATUSES)
        .filter(Q(window_start__lte=today) | Q(due_date__lte=horizon))
        .select_related("project__manager", "project__policy", "owner")
        .only(
            "phase",
            "sequence",
            "window_start",
            "due_date",
            "status",
            "project",
            "owner",
            *_columns("project", PROJECT_COLUMNS),
            *_columns("project__manager", PERSON_COLUMNS),
            *_columns("owner", PERSON_COLUMNS),
        )
        .order_by("due_date", "id")
    )
    quality = _quality_managers()
    for visit in visits.iterator(chunk_size=500):
        _sweep_visit(outbox, visit, versions.for_project(visit.project), quality)


def _sweep_actions(outbox: _Outbox, versions: _Versions) -> None:
    today = outbox.report.today
    horizon = today + datetime.timedelta(days=MAX_LEAD_DAYS)
    actions = (
        ImprovementAction.objects.open()
        .filter(due_date__lte=horizon, project__status__in=LIVE_PROJECT_STATUSES)
        .select_related("project__policy", "owner")
        .only(
            "description",
            "description_key",
            "description_params",
            "due_date",
            "project",
            "owner",
            *_columns("project", PROJECT_COLUMNS),
            *_columns("owner", PERSON_COLUMNS),
        )
        .order_by("due_date", "id")
    )
    for action in actions.iterator(chunk_size=500):
        lead = versions.for_project(action.project).reminder_lead_days
        days_to_due = (action.due_date - today).days
        if 0 <= days_to_due <= lead:
            kind, occasion = Kind.ACTION_DUE_SOON, f"soon:{action.due_date}"
        elif days_to_due < 0:
            kind, occasion = Kind.ACTION_OVERDUE, f"overdue:{action.due_date}"
        else:
            continue
        outbox.tell(
            recipient=action.owner,
            kind=kind,
            subject=action,
            occasion=occasion,
            project=action.project,
        )


def _sweep_projects(outbox: _Outbox) -> None:
    today = outbox.report.today
    late = Project.objects.filter(
        status__in=LIVE_PROJECT_STATUSES, planned_end__lt=today, actual_end__isnull=True
    ).select_related("manager")
    for project in late:
        outbox.tell(
            recipient=project.manager,
            kind=Kind.PROJECT_PAST_END,
            subject=project,
            occasion=f"past_end:{project.planned_end}",
            project=project,
        )


DIGEST_FIGURES = ("upcoming", "overdue", "to_schedule", "open_actions", "overdue_actions")


def digest_counts(managers: list[User], today: datetime.date) -> dict[int, dict[str, int]]:
    """Each manager's weekly figures (by user id), over the open visits and actions of
    their live projects: two grouped queries for every manager together."""
    week = today + datetime.timedelta(days=7)
    mine = {"project__manager__in": managers, "project__status__in": LIVE_PROJECT_STATUSES}
    visits = (
        Visit.objects.open()
        .filter(**mine)
        .values("project__manager")
        .order_by()
        .annotate(
            upcoming=Count("pk", filter=Q(due_date__gte=today, due_date__lte=week)),
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            to_schedule=Count(
                "pk",
                filter=Q(status=VisitStatus.PLANNED, window_start__lte=today, due_date__gte=today),
            ),
        )
    )
    actions = (
        ImprovementAction.objects.open()
        .filter(**mine)
        .values("project__manager")
        .order_by()
        .annotate(
            open_actions=Count("pk"), overdue_actions=Count("pk", filter=Q(due_date__lt=today))
        )
    )
    counts = {manager.pk: dict.fromkeys(DIGEST_FIGURES, 0) for manager in managers}
    for row in [*visits, *actions]:
        manager_id = row.pop("project__manager")
        counts[manager_id].update(row)
    return counts


def _sweep_digests(outbox: _Outbox) -> None:
    today = outbox.report.today
    year, week, _ = today.isocalendar()
    label = f"{year}-W{week:02d}"
    managers = list(
        User.objects.filter(
            is_active=True, managed_projects__status__in=LIVE_PROJECT_STATUSES
        ).distinct()
    )
    counts = digest_counts(managers, today)
    for manager in managers:
        outbox.tell(
            recipient=manager,
            kind=Kind.WEEKLY_DIGEST,
            subject=manager,
            occasion=f"digest:{label}",
            project=None,
            context={"week": label, **counts[manager.pk]},
        )


# From this month on, next year's notice is due (it has appeared between late October
# and early December): remind whoever may load it, weekly, until it is loaded.
NATIONAL_REMINDER_FROM_MONTH = 11


def _sweep_national_calendar(outbox: _Outbox) -> None:
    today = outbox.report.today
    next_year = today.year + 1
    if today.month < NATIONAL_REMINDER_FROM_MONTH or chinese_calendar_covers(next_year):
        return
    if NationalYear.objects.filter(year=next_year).exists():
        return
    # Only where some policy plans on China's calendar; nobody else needs the notice.
    if not PolicyVersion.objects.published().filter(calendar=CalendarChoices.CHINA).exists():
        return
    iso_year, week, _ = today.isocalendar()
    loaders = User.objects.filter(is_active=True).filter(
        Q(role__in=[Role.ADMIN, Role.QUALITY]) | Q(is_superuser=True)
    )
    for person in loaders.order_by("pk"):
        outbox.tell(
            recipient=person,
            kind=Kind.NATIONAL_CALENDAR_MISSING,
            subject=person,
            occasion=f"national-calendar:{next_year}:{iso_year}-W{week:02d}",
            project=None,
            context={"year": next_year},
        )


def run_sweep(*, today: datetime.date | None = None) -> SweepReport:
    """Run every periodic check once for ``today`` (default: the organisation's date)."""
    started_at = timezone.now()
    clock = time.monotonic()
    report = SweepReport(today=today or timezone.localdate())
    versions = _Versions(report.today)
    outbox = _Outbox(report)
    with dataversion.batched():
        _sweep_visits(outbox, versions)
        _sweep_actions(outbox, versions)
        _sweep_projects(outbox)
        _sweep_digests(outbox)
        _sweep_national_calendar(outbox)
        outbox.flush()
        report.requeued = requeue_deliveries()
    # Monitoring reads the last finished run (huifang.monitoring): a failed run leaves
    # no row, so an alert on the last run's age catches both a stopped and a failing sweep.
    SweepRun.objects.create(
        swept_for=report.today,
        started_at=started_at,
        finished_at=timezone.now(),
        duration_seconds=time.monotonic() - clock,
        notifications=report.sent,
    )
    return report
