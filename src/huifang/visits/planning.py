"""Planning: applies the pure schedule engine (scheduling.py) to the database."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.core import dataversion
from huifang.core.workdays import WorkdayCalendar
from huifang.policy.models import PolicyVersion
from huifang.policy.queries import policy_spec, version_in_force, workday_calendar
from huifang.projects.models import Project, ProjectHold
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
    # Visits whose window or due date changed: only those are "moved" to a person.
    moved: list[Visit] = field(default_factory=list)
    removed: int = 0
    cancelled: int = 0
    # Planned visits that keep their dates but now follow a newer policy version (a
    # revision that changed only, say, escalation days restamps every planned visit;
    # calling that "103 visits moved" told people their dates had changed).
    restamped: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.moved or self.removed or self.cancelled or self.restamped)


def project_spec(project: Project, holds: Iterable[HoldPeriod]) -> ProjectSpec:
    """The engine's view of a project with its recorded holds."""
    return ProjectSpec(
        planned_start=project.planned_start,
        planned_end=project.planned_end,
        actual_start=project.actual_start,
        actual_end=project.actual_end,
        status=ProjectStatus(project.status),
        cadence=Cadence(project.cadence),
        holds=tuple(holds),
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
        return _plan_locked([(project, context)], today=today)[project.pk]


class _StoredVisit(NamedTuple):
    """A generated visit as stored, read as a plain row: building 250,000 model
    instances was most of a run over all projects."""

    pk: int
    window_start: datetime.date
    due_date: datetime.date
    status: str
    policy_version_id: int | None
    has_record: bool

    @property
    def replannable(self) -> bool:
        """Still merely planned: anything else belongs to people, not the planner."""
        return self.status == VisitStatus.PLANNED and not self.has_record


_VisitKey = tuple[str, int | None]  # (phase, sequence): never None for generated visits

# Writes that could gather thousands of rows (every planned visit moves when a new
# policy version takes effect) go out in statements of at most this many.
_WRITE_BATCH = 1000


def _plan_locked(
    planned: Sequence[tuple[Project, PlanningContext]], *, today: datetime.date
) -> dict[int, PlanResult]:
    """Apply the engine's plan to projects the caller has locked (fresh rows, read under
    ``select_for_update`` in the caller's transaction), one result per project pk.

    The one write path for one project or a chunk of them: the reads are one query for
    the holds and one for the generated visits whatever the number of projects, and
    the writes are gathered into bulk statements.
    """
    pks = [project.pk for project, _ in planned]
    holds = _holds_by_project(pks)
    stored = _generated_visits_by_project(pks)
    results = {pk: PlanResult() for pk in pks}
    changes = _PlanChanges()
    for project, context in planned:
        desired = plan_visits(
            project_spec(project, holds.get(project.pk, ())),
            context.spec,
            today=today,
            is_working_day=context.calendar.is_working_day,
        )
        changes.add(project, desired, stored.get(project.pk, {}), context.version)
    changes.write(results)
    return results


def _holds_by_project(pks: Sequence[int]) -> dict[int, list[HoldPeriod]]:
    holds: dict[int, list[HoldPeriod]] = {}
    rows = ProjectHold.objects.filter(project_id__in=pks).order_by("project_id", "started_on")
    for project_id, started_on, ended_on in rows.values_list(
        "project_id", "started_on", "ended_on"
    ):
        holds.setdefault(project_id, []).append(HoldPeriod(start=started_on, end=ended_on))
    return holds


def _generated_visits_by_project(
    pks: Sequence[int],
) -> dict[int, dict[_VisitKey, _StoredVisit]]:
    rows = list(
        Visit.objects.filter(project_id__in=pks, is_adhoc=False)
        .order_by()
        .values_list(
            "project_id",
            "phase",
            "sequence",
            "pk",
            "window_start",
            "due_date",
            "status",
            "policy_version_id",
        )
    )
    # Whether a record exists matters only for planned visits, a small share of them;
    # asked by their ids it is an index lookup (an EXISTS per row of the query above
    # made PostgreSQL hash every record there is, for every chunk of projects).
    planned = [row[3] for row in rows if row[6] == VisitStatus.PLANNED]
    recorded: set[int] = set()
    for ids in _slices(planned, _in_list_size()):
        records = VisitRecord.objects.filter(visit_id__in=ids)
        recorded.update(records.values_list("visit_id", flat=True))
    visits: dict[int, dict[_VisitKey, _StoredVisit]] = {}
    for project_id, phase, sequence, pk, window_start, due_date, status, version_id in rows:
        visits.setdefault(project_id, {})[(phase, sequence)] = _StoredVisit(
            pk, window_start, due_date, status, version_id, pk in recorded
        )
    return visits


def _in_list_size() -> int:
    """How many ids one ``IN (…)`` may hold here (SQLite limits query parameters)."""
    return connection.features.max_query_params or 100_000


def _slices(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@dataclass
class _PlanChanges:
    """The differences between the engine's plans and the stored visits of some
    projects, gathered so that each kind of write is one statement (or a few)."""

    create: list[Visit] = field(default_factory=list)
    # (pk, window_start, due_date, policy version) in the engine's order
    move: list[tuple[int, datetime.date, datetime.date, PolicyVersion]] = field(
        default_factory=list
    )
    remove: dict[int, list[int]] = field(default_factory=dict)  # project pk: visit pks
    cancel: dict[int, list[int]] = field(default_factory=dict)  # project pk: visit pks

    def add(
        self,
        project: Project,
        desired: list[PlannedVisit],
        stored: dict[_VisitKey, _StoredVisit],
        version: PolicyVersion,
    ) -> None:
        if project.status == ProjectStatus.CANCELLED:
            self.cancel[project.pk] = [v.pk for v in stored.values() if v.replannable]
            return
        wanted: set[_VisitKey] = set()
        for planned in desired:
            key = (planned.phase.value, planned.sequence)
            wanted.add(key)
            visit = stored.get(key)
            if visit is None:
                self.create.append(
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
            elif visit.replannable and (
                visit.window_start != planned.window_start
                or visit.due_date != planned.due_date
                or visit.policy_version_id != version.pk
            ):
                self.move.append((visit.pk, planned.window_start, planned.due_date, version))
        stale = [v.pk for key, v in stored.items() if key not in wanted and v.replannable]
        if stale:
            self.remove[project.pk] = stale

    def write(self, results: dict[int, PlanResult]) -> None:
        """Write the changes (moves, then removals, then new visits, as a single
        project's re-plan always has) and report them in each project's result."""
        for project_pk, pks in self.cancel.items():
            # Only ever one project (the planning run skips cancelled ones), and the
            # count reported is what the update changed.
            results[project_pk].cancelled = Visit.objects.filter(pk__in=pks).update(
                status=VisitStatus.CANCELLED,
                cancel_reason=_("Project cancelled"),
                updated_at=timezone.now(),
            )
        if self.move:
            now = timezone.now()
            # Full instances, read only for the visits that move: callers show them.
            instances = Visit.objects.in_bulk([pk for pk, *_ in self.move])
            moved = []
            for pk, window_start, due_date, version in self.move:
                visit = instances[pk]
                dates_change = (visit.window_start, visit.due_date) != (window_start, due_date)
                visit.window_start = window_start
                visit.due_date = due_date
                visit.policy_version = version
                visit.updated_at = now
                if dates_change:
                    results[visit.project_id].moved.append(visit)
                else:
                    results[visit.project_id].restamped += 1
                moved.append(visit)
            _update_by_pk(moved, ["window_start", "due_date", "policy_version", "updated_at"])
        stale = [pk for pks in self.remove.values() for pk in pks]
        for ids in _slices(stale, min(_WRITE_BATCH, _in_list_size())):
            Visit.objects.filter(pk__in=ids).delete()
        for project_pk, pks in self.remove.items():
            results[project_pk].removed = len(pks)
        if self.create:
            for visit in Visit.objects.bulk_create(self.create, batch_size=_WRITE_BATCH):
                results[visit.project_id].created.append(visit)


def _update_by_pk(visits: list[Visit], names: list[str]) -> None:
    """Save the named fields of the visits: one ``UPDATE … WHERE id = %s`` per visit,
    sent as one batch (``executemany``, pipelined by psycopg).

    Not ``bulk_update``: it builds a ``CASE WHEN`` per visit and field, which took a
    minute for the 36,000 planned visits a new policy version moves on the bench data.
    """
    meta = Visit._meta
    fields = [field for field in meta.concrete_fields if field.name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    where = f"{quote(meta.pk.column)} = %s"
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {where}"  # noqa: S608
    rows = [
        [field.get_db_prep_save(getattr(visit, field.attname), connection) for field in fields]
        + [visit.pk]
        for visit in visits
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# Projects planned per transaction by a run over all of them: each chunk's rows stay
# locked until it commits (well under a second), and each costs a handful of queries.
PLAN_CHUNK_SIZE = 500
# A chunk holds many row locks at once, so unlike one project's planning it can meet
# another transaction that locks several of the same rows in another order; PostgreSQL
# then aborts one of the two ("deadlock detected"), and the chunk is simply run again.
_DEADLOCK_ATTEMPTS = 3


def plan_all_projects(
    *, today: datetime.date | None = None, chunk_size: int = PLAN_CHUNK_SIZE
) -> dict[str, int]:
    """Re-plan every open project (the nightly job and ``huifang plan --all``)."""
    # "moved" counts visits whose dates changed; restamps (same dates, newer policy
    # version) are not reported here.
    totals = {"projects": 0, "created": 0, "moved": 0, "removed": 0, "cancelled": 0}
    open_projects = Project.objects.exclude(status=ProjectStatus.CANCELLED)
    # The data version moves once, at the end, not after each chunk's commit. Not in
    # plan_projects: inside a caller's transaction it moves once, on commit, anyway.
    with dataversion.batched():
        for result in plan_projects(open_projects, today=today, chunk_size=chunk_size):
            totals["projects"] += 1
            totals["created"] += len(result.created)
            totals["moved"] += len(result.moved)
            totals["removed"] += result.removed
            totals["cancelled"] += result.cancelled
    return totals


def plan_projects(
    projects: QuerySet[Project],
    *,
    today: datetime.date | None = None,
    context: PlanningContext | None = None,
    chunk_size: int = PLAN_CHUNK_SIZE,
) -> Iterator[PlanResult]:
    """Re-plan the projects of a queryset (a filter of ``Project.objects``), yielding
    one result per project planned, in the order of their ids.

    Projects are planned ``chunk_size`` at a time, each chunk read under its row locks
    in one transaction (a savepoint inside the caller's) and applied by the same code
    as :func:`plan_project_visits`, so the number of queries grows with the chunks, not
    with the projects. The queryset is evaluated chunk by chunk under the lock: a
    project that no longer matches it by then is left alone. ``context`` is used for
    the projects of its policy; the version in force of any other policy is read once
    per run, and projects of a policy with no published version are skipped (no result).

    A generator: each chunk is planned (and committed, unless the caller holds a
    transaction) when the iteration reaches it, so nothing happens until it is
    consumed, and a long run need not keep every visit it changed. Inside a caller's
    transaction a deadlock rolls back only the chunk's savepoint before the retry.
    """
    today = today or timezone.localdate()
    chunk_size = min(chunk_size, _in_list_size())
    contexts: dict[int, PlanningContext | None] = {}
    if context is not None:
        contexts[context.version.policy_id] = context
    last_pk = 0
    while True:
        chunk, results = _plan_chunk_retrying_deadlocks(
            projects, after=last_pk, size=chunk_size, today=today, contexts=contexts
        )
        if not chunk:
            return
        last_pk = chunk[-1].pk
        yield from results


def _plan_chunk_retrying_deadlocks(
    projects: QuerySet[Project],
    *,
    after: int,
    size: int,
    today: datetime.date,
    contexts: dict[int, PlanningContext | None],
) -> tuple[list[Project], list[PlanResult]]:
    attempt = 1
    while True:
        try:
            with transaction.atomic():
                return _plan_chunk(projects, after=after, size=size, today=today, contexts=contexts)
        except OperationalError as error:
            deadlock = getattr(error.__cause__, "sqlstate", None) == _DEADLOCK_DETECTED
            if not deadlock or attempt == _DEADLOCK_ATTEMPTS:
                raise
            attempt += 1
            logger.warning("planning the projects after id %s: %s; trying again", after, error)


_DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


def _plan_chunk(
    projects: QuerySet[Project],
    *,
    after: int,
    size: int,
    today: datetime.date,
    contexts: dict[int, PlanningContext | None],
) -> tuple[list[Project], list[PlanResult]]:
    """Plan the next ``size`` of the projects after id ``after`` (in the caller's
    transaction): the projects read and their results."""
    # Read under the lock, as plan_project_visits does: an edit committed since the
    # run started is planned from its new dates. FOR NO KEY UPDATE, which still
    # excludes other planners and editors, but not the inserts of rows that merely
    # refer to a project (a visit, a notification: their foreign-key checks lock it
    # FOR KEY SHARE), which would otherwise wait for, and deadlock with, the chunk.
    # OF the project table only: a filter across a relation must not lock its rows too.
    chunk = list(
        projects.filter(pk__gt=after)
        .select_related(None)
        .prefetch_related(None)
        .order_by("pk")
        .select_for_update(no_key=True, of=("self",))[:size]
    )
    planned: list[tuple[Project, PlanningContext]] = []
    for project in chunk:
        if project.policy_id not in contexts:
            version = version_in_force(project.policy, on=today)
            contexts[project.policy_id] = (
                PlanningContext.for_version(version) if version is not None else None
            )
        context = contexts[project.policy_id]
        if context is not None:
            planned.append((project, context))
    return chunk, list(_plan_locked(planned, today=today).values())
