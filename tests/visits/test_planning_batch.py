"""Planning every project at once (``huifang plan --all``, the nightly job).

The run plans projects a chunk at a time through the same code as planning one
project. What a user would notice: it ends with exactly the visits planning each
project on its own gives, and it stays fast as projects are added, because its number
of queries grows with the chunks, never with the projects.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.policy.services import create_policy_draft
from huifang.projects.models import Project
from huifang.projects.services import (
    cancel_project,
    complete_project,
    put_project_on_hold,
    resume_project,
)
from huifang.visits.models import Visit, VisitStatus
from huifang.visits.planning import (
    PlanResult,
    plan_all_projects,
    plan_project_visits,
    plan_projects,
)
from tests.visits.planned_projects import (
    DAY,
    TODAY,
    D,
    count_queries,
    make_projects,
    publish_weekends_policy,
    stored_visits,
    stray_from_the_plan,
)

NO_CHANGE = {"created": 0, "moved": 0, "removed": 0, "cancelled": 0}


# --- Same outcome as planning each project on its own --------------------------------


def test_run_over_all_projects_leaves_what_planning_each_alone_would(
    policy: Policy, owner: User
) -> None:
    # Two policies (calendars differ), projects on hold, resumed, completed, cancelled
    # and without a published policy, spread over chunks of five.
    projects = make_projects(8, policy=policy, owner=owner)
    projects += make_projects(5, policy=publish_weekends_policy(), owner=owner, first=8)
    stray_from_the_plan(projects)
    # Then put the holds and the early end in, re-planning those projects as the
    # project services do (they do not touch the strayed visits people own).
    put_project_on_hold(project=projects[1], today=D("2026-04-20"))
    paused, _ = put_project_on_hold(project=projects[2], today=D("2026-04-01"))
    resume_project(project=paused, today=D("2026-06-10"))
    complete_project(project=projects[4], actual_end=D("2026-07-20"), today=D("2026-07-21"))
    Visit.objects.filter(project__in=projects[1:5:3], status=VisitStatus.PLANNED).update(
        policy_version=None
    )
    cancel_project(project=projects[6], today=TODAY)
    unpublished = Policy.objects.create(name="Draft only")
    create_policy_draft(policy=unpublished)
    Project.objects.filter(pk=projects[9].pk).update(policy=unpublished)
    strayed = stored_visits()

    with transaction.atomic():
        totals = plan_all_projects(today=TODAY, chunk_size=5)
        after_run = stored_visits()
        transaction.set_rollback(True)
    assert stored_visits() == strayed

    results = [plan_project_visits(project=project, today=TODAY) for project in projects]
    assert stored_visits() == after_run
    assert totals == {
        "projects": 11,  # neither the cancelled project nor the unpublished policy's
        "created": sum(len(result.created) for result in results),
        "moved": sum(len(result.moved) for result in results),
        "removed": sum(result.removed for result in results),
        "cancelled": 0,
    }
    assert min(totals["created"], totals["moved"], totals["removed"]) >= 8
    assert results[6] == PlanResult()
    assert results[9] == PlanResult()


def test_run_over_all_projects_reports_each_visit_it_changed_once(
    policy: Policy, owner: User
) -> None:
    projects = make_projects(7, policy=policy, owner=owner)
    stray_from_the_plan(projects)
    totals = plan_all_projects(today=TODAY, chunk_size=3)
    # Per project: the deleted last visit comes back, the moved visit moves back, the
    # unstamped one is stamped again (its dates stay: not "moved"), the stray sequence
    # 99 goes.
    assert totals == {"projects": 7, "created": 7, "moved": 7, "removed": 7, "cancelled": 0}
    assert plan_all_projects(today=TODAY, chunk_size=3) == {"projects": 7, **NO_CHANGE}


def test_planning_some_projects_plans_those_alone(policy: Policy, owner: User) -> None:
    # What re-planning the projects of one policy (after a publication) relies on:
    # the projects of the queryset are planned, over several chunks, as each alone
    # would be, and the others are left as they are.
    projects = make_projects(7, policy=policy, owner=owner)
    weekends = publish_weekends_policy()
    projects += make_projects(3, policy=weekends, owner=owner, first=7)
    stray_from_the_plan(projects)
    chosen = Project.objects.filter(policy=weekends) | Project.objects.filter(
        pk__in=[projects[0].pk, projects[5].pk]
    )

    with transaction.atomic():
        results = list(plan_projects(chosen, today=TODAY, chunk_size=2))
        after_run = stored_visits()
        transaction.set_rollback(True)

    alone = [plan_project_visits(project=projects[i], today=TODAY) for i in (0, 5, 7, 8, 9)]
    assert stored_visits() == after_run
    assert [[v.pk for v in r.moved] for r in results] == [[v.pk for v in r.moved] for r in alone]
    assert [(len(r.created), r.removed) for r in results] == [(1, 1)] * 5
    others = [plan_project_visits(project=projects[i], today=TODAY) for i in (1, 2, 3, 4, 6)]
    assert all(result.changed for result in others)


# --- Queries grow with chunks, not with projects -------------------------------------


def test_queries_do_not_grow_with_the_number_of_projects(policy: Policy, owner: User) -> None:
    stray_from_the_plan(make_projects(5, policy=policy, owner=owner))
    changing_five = count_queries(lambda: plan_all_projects(today=TODAY))
    unchanged_five = count_queries(lambda: plan_all_projects(today=TODAY))

    stray_from_the_plan(make_projects(20, policy=policy, owner=owner, first=5))
    totals: dict[str, int] = {}
    changing_25 = count_queries(lambda: totals.update(plan_all_projects(today=TODAY)))
    assert totals == {"projects": 25, "created": 20, "moved": 20, "removed": 20, "cancelled": 0}
    unchanged_25 = count_queries(lambda: plan_all_projects(today=TODAY))

    assert unchanged_25 == unchanged_five
    # Only the removals cost a query each: every removed visit leaves a history row.
    assert changing_25 - changing_five == 20 - 5


def test_queries_grow_by_a_constant_per_chunk(policy: Policy, owner: User) -> None:
    counts = []
    for first in (0, 4, 8):
        make_projects(4, policy=policy, owner=owner, first=first)
        counts.append(count_queries(lambda: plan_all_projects(today=TODAY, chunk_size=4)))
    one_chunk, two_chunks, three_chunks = counts
    assert two_chunks - one_chunk == three_chunks - two_chunks <= 6


def test_moved_visits_are_stored_as_reported(project: Project) -> None:
    planned = Visit.objects.filter(project=project, status=VisitStatus.PLANNED)
    planned.update(window_start=F("window_start") - 2 * DAY, policy_version=None)
    result = plan_project_visits(project=project, today=TODAY)
    assert len(result.moved) == 7
    stored = Visit.objects.in_bulk([visit.pk for visit in result.moved])
    for reported in result.moved:
        row = stored[reported.pk]
        assert (row.window_start, row.due_date, row.policy_version_id, row.updated_at) == (
            reported.window_start,
            reported.due_date,
            reported.policy_version_id,
            reported.updated_at,
        )
    assert plan_project_visits(project=project, today=TODAY) == PlanResult()
