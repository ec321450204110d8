"""The periodic sweep: reminders, escalation, missed visits, digests and warnings.

Every reminder is a :func:`notify` call with an occasion naming the date it is about,
so the sweep can run any number of times (or twice at once) and each person hears
about each occasion once. Conditions are "on or after the day" rather than "exactly
on the day": a sweep that did not run yesterday catches up today instead of losing
the reminder. Timing comes from the policy version in force for each project.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from huifang.actions.models import ImprovementAction
from huifang.core import dataversion
from huifang.core.errors import DomainError
from huifang.core.models import Role, User
from huifang.notify.models import Kind
from huifang.notify.services import notify, requeue_deliveries
from huifang.policy.models import PolicyVersion
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


def _tell(
    report: SweepReport,
    *,
    recipient: User | None,
    kind: str,
    subject: object,
    occasion: str,
    project: Project | None,
    context: dict[str, object] | None = None,
) -> None:
    if recipient is None:
        return
    created = notify(
        recipient=recipient,
        kind=kind,
        subject=subject,  # type: ignore[arg-type]
        occasion=occasion,
        context=context,
        project=project,
    )
    if created is not None:
        report.counts[kind] += 1


def _quality_managers() -> list[User]:
    return list(User.objects.filter(role=Role.QUALITY, is_active=True))


def _sweep_visit(
    report: SweepReport, visit: Visit, version: PolicyVersion, quality: list[User]
) -> None:
    today = report.today
    project = visit.project
    manager = project.manager
    owner = visit.owner or manager
    due = visit.due_date
    days_to_due = (due - today).days
    days_late = -days_to_due
    context: dict[str, object] = {"owner": str(owner), "days": days_late}

    def tell(recipient: User | None, kind: str, occasion: str) -> None:
        _tell(
            report,
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
            mark_visit_missed(visit=visit)
        except DomainError:
            return  # somebody (or a parallel sweep) got there first
        report.missed += 1
        tell(owner, Kind.VISIT_MISSED, f"missed:{due}")
        if manager.pk != owner.pk:
            tell(manager, Kind.VISIT_MISSED, f"missed:{due}")


def _sweep_visits(report: SweepReport, versions: _Versions) -> None:
    today = report.today
    horizon = today + datetime.timedelta(days=MAX_LEAD_DAYS)
    visits = (
        Visit.objects.open()
        .filter(project__status__in=LIVE_PROJECT_STATUSES)
        .filter(Q(window_start__lte=today) | Q(due_date__lte=horizon))
        .select_related("project__manager", "project__policy", "owner")
        .order_by("due_date", "id")
    )
    quality = _quality_managers()
    for visit in visits.iterator(chunk_size=500):
        _sweep_visit(report, visit, versions.for_project(visit.project), quality)


def _sweep_actions(report: SweepReport, versions: _Versions) -> None:
    today = report.today
    horizon = today + datetime.timedelta(days=MAX_LEAD_DAYS)
    actions = (
        ImprovementAction.objects.open()
        .filter(due_date__lte=horizon, project__status__in=LIVE_PROJECT_STATUSES)
        .select_related("project__policy", "owner")
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
        _tell(
            report,
            recipient=action.owner,
            kind=kind,
            subject=action,
            occasion=occasion,
            project=action.project,
        )


def _sweep_projects(report: SweepReport) -> None:
    today = report.today
    late = Project.objects.filter(
        status__in=LIVE_PROJECT_STATUSES, planned_end__lt=today, actual_end__isnull=True
    ).select_related("manager")
    for project in late:
        _tell(
            report,
            recipient=project.manager,
            kind=Kind.PROJECT_PAST_END,
            subject=project,
            occasion=f"past_end:{project.planned_end}",
            project=project,
        )


def digest_counts(manager: User, today: datetime.date) -> dict[str, int]:
    visits = Visit.objects.open().filter(
        project__manager=manager, project__status__in=LIVE_PROJECT_STATUSES
    )
    actions = ImprovementAction.objects.open().filter(
        project__manager=manager, project__status__in=LIVE_PROJECT_STATUSES
    )
    week = today + datetime.timedelta(days=7)
    return {
        "upcoming": visits.filter(due_date__gte=today, due_date__lte=week).count(),
        "overdue": visits.filter(due_date__lt=today).count(),
        "to_schedule": visits.filter(
            status=VisitStatus.PLANNED, window_start__lte=today, due_date__gte=today
        ).count(),
        "open_actions": actions.count(),
        "overdue_actions": actions.filter(due_date__lt=today).count(),
    }


def _sweep_digests(report: SweepReport) -> None:
    today = report.today
    year, week, _ = today.isocalendar()
    label = f"{year}-W{week:02d}"
    managers = User.objects.filter(
        is_active=True, managed_projects__status__in=LIVE_PROJECT_STATUSES
    ).distinct()
    for manager in managers:
        _tell(
            report,
            recipient=manager,
            kind=Kind.WEEKLY_DIGEST,
            subject=manager,
            occasion=f"digest:{label}",
            project=None,
            context={"week": label, **digest_counts(manager, today)},
        )


def run_sweep(*, today: datetime.date | None = None) -> SweepReport:
    """Run every periodic check once for ``today`` (default: the organisation's date)."""
    report = SweepReport(today=today or timezone.localdate())
    versions = _Versions(report.today)
    with dataversion.batched():
        _sweep_visits(report, versions)
        _sweep_actions(report, versions)
        _sweep_projects(report)
        _sweep_digests(report)
        report.requeued = requeue_deliveries()
    return report
