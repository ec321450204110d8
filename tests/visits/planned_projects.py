"""Projects of many shapes to plan at once, and ways to look at what planning did, for
the planning tests (tests/visits/test_planning_batch.py, test_planning_locks.py) and
the re-planning ones of the policy (tests/policy/)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.policy.services import create_policy_draft, publish_policy_version
from huifang.projects.models import Project
from huifang.projects.services import create_project
from huifang.visits.models import Visit, VisitRecord, VisitStatus
from tests.factories import CustomerFactory

D = datetime.date.fromisoformat
DAY = datetime.timedelta(days=1)
TODAY = D("2026-03-01")


def make_projects(
    count: int, *, policy: Policy, owner: User, first: int = 0, today: datetime.date = TODAY
) -> list[Project]:
    """Projects of varied shapes: both cadences, open-ended ones, different lengths."""
    projects = []
    for number in range(first, first + count):
        start = D("2026-03-02") + number * 3 * DAY
        length = None if number % 4 == 3 else 150 + 20 * number
        created, _ = create_project(
            code=f"P-{number:03d}",
            name=f"Project {number}",
            customer=CustomerFactory(),
            manager=owner,
            status="planned" if number % 5 == 0 else "active",
            cadence="biweekly" if number % 2 else "monthly",
            planned_start=start,
            planned_end=None if length is None else start + length * DAY,
            policy=policy,
            today=today,
        )
        projects.append(created)
    return projects


def stray_from_the_plan(projects: list[Project]) -> None:
    """Give each project's stored visits every kind of difference from its plan: a
    missing visit, moved dates, another policy version's stamp, a visit no longer
    planned; and visits that belong to people, which must stay as they are."""
    for project in projects:
        planned = list(
            Visit.objects.filter(project=project, status=VisitStatus.PLANNED).order_by("due_date")
        )
        assert len(planned) >= 5
        first, second, third, fourth, *_, last = planned
        last.delete()
        Visit.objects.filter(pk=first.pk).update(
            window_start=first.window_start - 5 * DAY, due_date=first.due_date - DAY
        )
        Visit.objects.filter(pk=second.pk).update(policy_version=None)
        Visit.objects.filter(pk=third.pk).update(
            status=VisitStatus.DONE, completed_on=third.due_date, due_date=third.due_date + DAY
        )
        VisitRecord.objects.create(visit=fourth, recorded_by=project.manager)
        Visit.objects.filter(pk=fourth.pk).update(due_date=fourth.due_date + DAY)
        Visit.objects.create(
            project=project,
            phase="ongoing",
            sequence=99,
            window_start=D("2030-01-01"),
            due_date=D("2030-01-10"),
            owner=project.manager,
        )


def stored_visits() -> list[tuple[Any, ...]]:
    """Every visit as a user sees it (ids aside: a re-created visit gets a new one)."""
    return sorted(
        Visit.objects.values_list(
            "project__code",
            "phase",
            "sequence",
            "is_adhoc",
            "window_start",
            "due_date",
            "status",
            "owner_id",
            "policy_version_id",
            "cancel_reason",
        )
    )


def count_queries(run: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


def publish_weekends_policy() -> Policy:
    weekends = Policy.objects.create(name="Weekends only")
    draft = create_policy_draft(policy=weekends)
    draft.calendar = "weekends"
    draft.save()
    publish_policy_version(version=draft, effective_from=D("2026-01-01"), published_by=None)
    return weekends
