"""Writes to visits. Planning applies the pure schedule engine to the database."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.core import dataversion
from huifang.core.workdays import WorkdayCalendar
from huifang.policy.models import PolicyVersion
from huifang.policy.queries import policy_spec, version_in_force, workday_calendar
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitRecord, VisitStatus
from huifang.visits.scheduling import (
    Cadence,
    HoldPeriod,
    PlannedVisit,
    PolicySpec,
    ProjectSpec,
    ProjectStatus,
    plan_visits,
)

logger = logging.getLogger(__name__)


@dataclass
class PlanResult:
    """What a planning run changed, so pages can show it ("3 visits moved")."""

    created: list[Visit] = field(default_factory=list)
    moved: list[Visit] = field(default_factory=list)
    removed: int = 0
    cancelled: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.moved or self.removed or self.cancelled)


def project_spec(project: Project) -> ProjectSpec:
    """The engine's view of a project (reads its holds: one query unless prefetched)."""
    return ProjectSpec(
        planned_start=project.planned_start,
        planned_end=project.planned_end,
        actual_start=project.actual_start,
        actual_end=project.actual_end,
        status=ProjectStatus(project.status),
        cadence=Cadence(project.cadence),
        holds=tuple(
            HoldPeriod(start=hold.started_on, end=hold.ended_on) for hold in project.holds.all()
        ),
    )


@dataclass(frozen=True)
class PlanningContext:
    """What planning reads besides the project. Built once and reused when planning
    many projects, so ``huifang plan --all`` does not re-read the policy each time."""

    version: PolicyVersion
    spec: PolicySpec
    calendar: WorkdayCalendar

    @classmethod
    def for_version(cls, version: PolicyVersion) -> PlanningContext:
        return cls(version=version, spec=policy_spec(version), calendar=workday_calendar(version))


def plan_project_visits(
    *,
    project: Project,
    today: datetime.date | None = None,
    context: PlanningContext | None = None,
) -> PlanResult:
    """Bring the project's generated visits in line with its dates, status and policy.

    Only generated visits that are still ``planned`` and have no record are touched:
    scheduled, done, missed and cancelled visits, recorded visits and ad-hoc visits
    belong to people, not to the planner. Running it twice changes nothing.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        # Plan from the stored project under its row lock, never from the caller's
        # copy: a run over all projects holding a copy read before a user's edit would
        # otherwise put the old dates back, and two runs for one project would both
        # create the same visits.
        project = Project.objects.select_for_update().get(pk=project.pk)
        if context is None or context.version.policy_id != project.policy_id:
            version = version_in_force(project.policy, on=today)
            if version is None:
                logger.warning(
                    "project %s: policy has no published version; nothing planned", project.pk
                )
                return PlanResult()
            context = PlanningContext.for_version(version)
        desired = plan_visits(
            project_spec(project),
            context.spec,
            today=today,
            is_working_day=context.calendar.is_working_day,
        )
        return _apply_plan(project, desired, context.version, today)


def _apply_plan(
    project: Project, desired: list[PlannedVisit], version: PolicyVersion, today: datetime.date
) -> PlanResult:
    result = PlanResult()
    existing = {
        (visit.phase, visit.sequence): visit
        for visit in Visit.objects.filter(project=project, is_adhoc=False).annotate(
            has_record=Exists(VisitRecord.objects.filter(visit=OuterRef("pk")))
        )
    }

    def replannable(visit: Visit) -> bool:
        return visit.status == VisitStatus.PLANNED and not visit.has_record  # type: ignore[attr-defined]

    if project.status == ProjectStatus.CANCELLED:
        to_cancel = [visit.pk for visit in existing.values() if replannable(visit)]
        result.cancelled = Visit.objects.filter(pk__in=to_cancel).update(
            status=VisitStatus.CANCELLED,
            cancel_reason=_("Project cancelled"),
            updated_at=timezone.now(),
        )
        return result

    wanted_keys = set()
    to_create: list[Visit] = []
    for planned in desired:
        key = (planned.phase.value, planned.sequence)
        wanted_keys.add(key)
        visit = existing.get(key)
        if visit is None:
            to_create.append(
                Visit(
                    project=project,
                    phase=planned.phase.value,
                    sequence=planned.sequence,
                    window_start=planned.window_start,
                    due_date=planned.due_date,
                    owner_id=project.manager_id,
                    policy_version=version,
                )
            )
        elif replannable(visit) and (
            visit.window_start != planned.window_start
            or visit.due_date != planned.due_date
            or visit.policy_version_id != version.pk
        ):
            visit.window_start = planned.window_start
            visit.due_date = planned.due_date
            visit.policy_version = version
            visit.updated_at = timezone.now()
            result.moved.append(visit)

    if result.moved:
        Visit.objects.bulk_update(
            result.moved, ["window_start", "due_date", "policy_version", "updated_at"]
        )
    stale = [
        visit.pk for key, visit in existing.items() if key not in wanted_keys and replannable(visit)
    ]
    if stale:
        Visit.objects.filter(pk__in=stale).delete()
        result.removed = len(stale)
    if to_create:
        result.created = Visit.objects.bulk_create(to_create)
    return result


def plan_all_projects(*, today: datetime.date | None = None) -> dict[str, int]:
    """Re-plan every open project (the nightly job and ``huifang plan --all``)."""
    today = today or timezone.localdate()
    contexts: dict[int, PlanningContext | None] = {}
    totals = {"projects": 0, "created": 0, "moved": 0, "removed": 0, "cancelled": 0}
    projects = (
        Project.objects.exclude(status=ProjectStatus.CANCELLED)
        .select_related("policy")
        .order_by("pk")
    )
    with dataversion.batched():
        for project in projects.iterator(chunk_size=500):
            _plan_one(project, today=today, contexts=contexts, totals=totals)
    return totals


def _plan_one(
    project: Project,
    *,
    today: datetime.date,
    contexts: dict[int, PlanningContext | None],
    totals: dict[str, int],
) -> None:
    if project.policy_id not in contexts:
        version = version_in_force(project.policy, on=today)
        contexts[project.policy_id] = (
            PlanningContext.for_version(version) if version is not None else None
        )
    context = contexts[project.policy_id]
    if context is None:
        return
    result = plan_project_visits(project=project, today=today, context=context)
    totals["projects"] += 1
    totals["created"] += len(result.created)
    totals["moved"] += len(result.moved)
    totals["removed"] += result.removed
    totals["cancelled"] += result.cancelled
