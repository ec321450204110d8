"""The plan service: the schedule engine applied to the database.

The engine itself is tested in test_scheduling.py; here the questions are what ends up
in the visits table and what is never touched. The ``project`` fixture is an active
monthly project, 2026-03-02 to 2026-08-31, on the default policy (China calendar),
planned on 2026-03-01.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huifang.core.models import User
from huifang.core.workdays import CalendarKind, WorkdayCalendar
from huifang.policy.models import CompanyDay, Policy, PolicyVersion
from huifang.policy.services import create_policy_draft, publish_policy_version
from huifang.projects.models import Project
from huifang.projects.services import (
    cancel_project,
    complete_project,
    create_project,
    put_project_on_hold,
    resume_project,
    update_project,
)
from huifang.visits.models import Visit, VisitRecord, VisitStatus
from huifang.visits.planning import PlanResult, plan_all_projects, plan_project_visits
from tests.factories import CustomerFactory

D = datetime.date.fromisoformat
PLANNED_ON = D("2026-03-01")

# What the engine plans for the fixture project: (phase, sequence, window opens, due).
# 2026-05-09 is a Saturday that China works (调休) and stays; 2026-08-09 is a Sunday,
# moved back to Friday 2026-08-07.
FIXTURE_PLAN = [
    ("kickoff", 1, D("2026-03-02"), D("2026-03-09")),
    ("ongoing", 1, D("2026-03-10"), D("2026-04-09")),
    ("ongoing", 2, D("2026-04-10"), D("2026-05-09")),
    ("ongoing", 3, D("2026-05-10"), D("2026-06-09")),
    ("ongoing", 4, D("2026-06-10"), D("2026-07-09")),
    ("ongoing", 5, D("2026-07-10"), D("2026-08-07")),
    ("closing", 1, D("2026-08-31"), D("2026-09-07")),
]


def plan_rows(project: Project) -> list[tuple[str, int | None, datetime.date, datetime.date]]:
    visits = Visit.objects.filter(project=project, is_adhoc=False).order_by("due_date", "pk")
    return [(v.phase, v.sequence, v.window_start, v.due_date) for v in visits]


def full_rows(visits: Any) -> list[dict[str, Any]]:
    """Every column of the given visits, for "not touched at all" comparisons."""
    rows = Visit.objects.filter(pk__in=[v.pk for v in visits]).order_by("pk").values()
    return [dict(row) for row in rows]


def keys(visits: list[Visit]) -> list[tuple[str, int | None]]:
    return sorted((visit.phase, visit.sequence) for visit in visits)


def visit(project: Project, phase: str, sequence: int) -> Visit:
    return Visit.objects.get(project=project, phase=phase, sequence=sequence, is_adhoc=False)


def mark(project: Project, phase: str, sequence: int, **fields: Any) -> Visit:
    Visit.objects.filter(pk=visit(project, phase, sequence).pk).update(**fields)
    return visit(project, phase, sequence)


def record(project: Project, phase: str, sequence: int) -> Visit:
    """A planned visit somebody already started recording: planning must leave it."""
    recorded = visit(project, phase, sequence)
    VisitRecord.objects.create(visit=recorded, recorded_by=project.manager)
    return recorded


def adhoc(project: Project) -> Visit:
    return Visit.objects.create(
        project=project,
        phase="ongoing",
        is_adhoc=True,
        window_start=D("2026-05-01"),
        due_date=D("2026-05-15"),
        owner=project.manager,
    )


def people_touched(project: Project) -> list[Visit]:
    """Put one visit in each state planning must never rewrite."""
    return [
        mark(project, "kickoff", 1, status=VisitStatus.DONE, completed_on=D("2026-03-08")),
        mark(
            project,
            "ongoing",
            1,
            status=VisitStatus.SCHEDULED,
            scheduled_at=datetime.datetime(2026, 4, 8, 2, 0, tzinfo=datetime.UTC),
        ),
        mark(project, "ongoing", 2, status=VisitStatus.MISSED),
        mark(project, "ongoing", 3, status=VisitStatus.CANCELLED, cancel_reason="Customer away"),
        record(project, "ongoing", 4),
        adhoc(project),
    ]


def first_version(policy: Policy) -> PolicyVersion:
    return policy.versions.get(number=1)


# --- Creating and re-planning ---------------------------------------------------------


def test_new_project_gets_the_engines_visits(project: Project, owner: User, policy: Policy) -> None:
    assert plan_rows(project) == FIXTURE_PLAN
    visits = Visit.objects.filter(project=project)
    assert {(v.status, v.owner_id, v.policy_version_id, v.is_adhoc) for v in visits} == {
        (VisitStatus.PLANNED, owner.pk, first_version(policy).pk, False)
    }


def test_create_project_reports_the_visits_it_created(policy: Policy, owner: User) -> None:
    _, result = create_project(
        code="P-NEW",
        name="New",
        customer=CustomerFactory(),
        manager=owner,
        status="active",
        planned_start=D("2026-03-02"),
        planned_end=D("2026-08-31"),
        policy=policy,
        today=PLANNED_ON,
    )
    assert keys(result.created) == keys(list(Visit.objects.filter(project__code="P-NEW")))
    assert (len(result.created), result.moved, result.removed, result.cancelled) == (7, [], 0, 0)


def test_planning_twice_changes_nothing(project: Project) -> None:
    before = full_rows(project.visits.all())
    result = plan_project_visits(project=project, today=PLANNED_ON)
    assert result == PlanResult()
    assert result.changed is False
    assert full_rows(project.visits.all()) == before


def test_plan_all_projects_twice_changes_nothing(project: Project) -> None:
    before = full_rows(project.visits.all())
    totals = plan_all_projects(today=PLANNED_ON)
    assert totals == {"projects": 1, "created": 0, "moved": 0, "removed": 0, "cancelled": 0}
    assert full_rows(project.visits.all()) == before


def test_plan_all_projects_skips_cancelled_projects(project: Project, policy: Policy) -> None:
    cancel_project(project=project, today=PLANNED_ON)
    assert plan_all_projects(today=PLANNED_ON) == {
        "projects": 0,
        "created": 0,
        "moved": 0,
        "removed": 0,
        "cancelled": 0,
    }


# --- Date changes move only what is still merely planned ------------------------------


def test_later_planned_end_moves_only_planned_visits(project: Project) -> None:
    untouched = people_touched(project)
    before = full_rows(untouched)
    _, result = update_project(project=project, planned_end=D("2026-10-31"), today=PLANNED_ON)
    assert full_rows(untouched) == before
    assert plan_rows(project) == [
        *FIXTURE_PLAN[:-1],
        ("ongoing", 6, D("2026-08-10"), D("2026-09-09")),
        ("ongoing", 7, D("2026-09-10"), D("2026-10-09")),
        ("closing", 1, D("2026-10-31"), D("2026-11-06")),
    ]
    assert keys(result.moved) == [("closing", 1)]
    assert keys(result.created) == [("ongoing", 6), ("ongoing", 7)]
    assert (result.removed, result.cancelled) == (0, 0)


def test_later_start_moves_only_planned_visits(project: Project) -> None:
    untouched = people_touched(project)
    before = full_rows(untouched)
    _, result = update_project(project=project, planned_start=D("2026-03-09"), today=PLANNED_ON)
    assert full_rows(untouched) == before
    # Kickoff to ongoing 4 belong to people; ongoing 5 follows the new grid
    # (kickoff due 03-16, + 5 months = 08-16, a Sunday, moved back to Friday).
    assert plan_rows(project) == [
        *FIXTURE_PLAN[:5],
        ("ongoing", 5, D("2026-07-17"), D("2026-08-14")),
        ("closing", 1, D("2026-08-31"), D("2026-09-07")),
    ]
    assert keys(result.moved) == [("ongoing", 5)]


def test_shorter_project_drops_planned_ongoing_visits_but_keeps_done_one(
    project: Project,
) -> None:
    done = mark(project, "ongoing", 3, status=VisitStatus.DONE, completed_on=D("2026-06-08"))
    before = full_rows([done])
    _, result = update_project(project=project, planned_end=D("2026-05-31"), today=PLANNED_ON)
    assert full_rows([done]) == before
    # The new closing visit is due Sunday 06-07, moved back to Friday 06-05.
    assert plan_rows(project) == [
        *FIXTURE_PLAN[:3],
        ("closing", 1, D("2026-05-31"), D("2026-06-05")),
        FIXTURE_PLAN[3],
    ]
    assert result.removed == 2
    assert keys(result.moved) == [("closing", 1)]


def test_shorter_project_keeps_a_recorded_planned_visit(project: Project) -> None:
    recorded = record(project, "ongoing", 5)
    before = full_rows([recorded])
    _, result = update_project(project=project, planned_end=D("2026-05-31"), today=PLANNED_ON)
    assert full_rows([recorded]) == before
    assert result.removed == 2  # ongoing 3 and 4


def test_planning_reads_the_stored_project_not_the_callers_copy(project: Project) -> None:
    # What a run over all projects sees when a user's edit commits between its read
    # of the project and its planning of it: the edit must win.
    stale = Project.objects.get(pk=project.pk)
    update_project(project=project, planned_end=D("2026-10-31"), today=PLANNED_ON)
    expected = plan_rows(project)
    assert plan_project_visits(project=stale, today=PLANNED_ON) == PlanResult()
    assert plan_rows(project) == expected


def test_changing_the_name_does_not_replan(project: Project) -> None:
    before = full_rows(project.visits.all())
    _, result = update_project(project=project, name="ERP rollout, phase 1", today=PLANNED_ON)
    assert result == PlanResult()
    assert full_rows(project.visits.all()) == before


# --- Status changes ---------------------------------------------------------------------


def test_cancelling_cancels_only_planned_visits_with_a_reason(project: Project) -> None:
    untouched = [
        mark(project, "kickoff", 1, status=VisitStatus.DONE, completed_on=D("2026-03-08")),
        mark(project, "ongoing", 1, status=VisitStatus.SCHEDULED),
        record(project, "ongoing", 2),
        adhoc(project),
    ]
    before = full_rows(untouched)
    with translation.override("en"):
        _, result = cancel_project(project=project, today=D("2026-03-10"))
    assert result.cancelled == 4
    assert full_rows(untouched) == before
    cancelled = Visit.objects.filter(project=project, status=VisitStatus.CANCELLED)
    assert sorted(cancelled.values_list("phase", "sequence", "cancel_reason")) == [
        ("closing", 1, "Project cancelled"),
        ("ongoing", 3, "Project cancelled"),
        ("ongoing", 4, "Project cancelled"),
        ("ongoing", 5, "Project cancelled"),
    ]
    assert plan_project_visits(project=project, today=D("2026-03-11")).changed is False


def test_completing_early_anchors_closing_on_actual_end(project: Project) -> None:
    done = mark(project, "ongoing", 1, status=VisitStatus.DONE, completed_on=D("2026-04-09"))
    before = full_rows([done])
    completed, result = complete_project(
        project=project, actual_end=D("2026-06-15"), today=D("2026-06-16")
    )
    assert completed.status == "completed"
    assert full_rows([done]) == before
    assert plan_rows(project) == [
        *FIXTURE_PLAN[:3],
        ("closing", 1, D("2026-06-15"), D("2026-06-22")),
    ]
    assert result.removed == 3
    assert keys(result.moved) == [("closing", 1)]


def test_hold_drops_ongoing_visits_due_during_it(project: Project) -> None:
    on_hold, result = put_project_on_hold(
        project=project, reason="Customer budget freeze", today=D("2026-04-15")
    )
    assert on_hold.status == "on_hold"
    assert result.removed == 4
    assert plan_rows(project) == [FIXTURE_PLAN[0], FIXTURE_PLAN[1], FIXTURE_PLAN[6]]

    resumed, result = resume_project(project=on_hold, today=D("2026-06-20"))
    assert resumed.status == "active"
    assert list(resumed.holds.values_list("started_on", "ended_on", "reason")) == [
        (D("2026-04-15"), D("2026-06-20"), "Customer budget freeze")
    ]
    # Slots 2 and 3 fell due during the hold and stay dropped; slot 4's window opens
    # on the day work resumed.
    assert plan_rows(project) == [
        FIXTURE_PLAN[0],
        FIXTURE_PLAN[1],
        ("ongoing", 4, D("2026-06-20"), D("2026-07-09")),
        FIXTURE_PLAN[5],
        FIXTURE_PLAN[6],
    ]
    assert keys(result.created) == [("ongoing", 4), ("ongoing", 5)]
    assert plan_all_projects(today=D("2026-06-20"))["moved"] == 0


# --- Policy versions ------------------------------------------------------------------


def test_policy_without_published_version_plans_nothing(owner: User) -> None:
    policy = Policy.objects.create(name="Draft policy")
    create_policy_draft(policy=policy)
    created, result = create_project(
        code="P-DRAFT",
        name="Unplanned",
        customer=CustomerFactory(),
        manager=owner,
        status="active",
        planned_start=D("2026-03-02"),
        planned_end=D("2026-08-31"),
        policy=policy,
        today=PLANNED_ON,
    )
    assert result.changed is False
    assert list(created.visits.all()) == []
    assert plan_all_projects(today=PLANNED_ON)["projects"] == 0


def _publish_longer_kickoff(
    policy: Policy, effective_from: datetime.date, publisher: User
) -> PolicyVersion:
    draft = create_policy_draft(
        policy=policy, based_on=first_version(policy), change_note="Ten days for the kickoff"
    )
    draft.rules.filter(phase="kickoff").update(window_days=10)
    return publish_policy_version(
        version=draft, effective_from=effective_from, published_by=publisher
    )


def test_new_policy_version_moves_planned_visits_and_stamps_itself(
    project: Project, policy: Policy, quality: User
) -> None:
    done = mark(project, "kickoff", 1, status=VisitStatus.DONE, completed_on=D("2026-03-09"))
    before = full_rows([done])
    version = _publish_longer_kickoff(policy, D("2026-03-01"), quality)
    totals = plan_all_projects(today=D("2026-03-10"))
    # The closing visit keeps its dates: it is stamped with the new version, not moved.
    assert totals == {"projects": 1, "created": 0, "moved": 5, "removed": 0, "cancelled": 0}
    assert full_rows([done]) == before
    # The grid now starts from kickoff due 03-12: 04-12 is a Sunday (back to Friday),
    # 07-12 a Sunday (back to Friday).
    assert plan_rows(project) == [
        FIXTURE_PLAN[0],
        ("ongoing", 1, D("2026-03-13"), D("2026-04-10")),
        ("ongoing", 2, D("2026-04-13"), D("2026-05-12")),
        ("ongoing", 3, D("2026-05-13"), D("2026-06-12")),
        ("ongoing", 4, D("2026-06-13"), D("2026-07-10")),
        ("ongoing", 5, D("2026-07-13"), D("2026-08-12")),
        ("closing", 1, D("2026-08-31"), D("2026-09-07")),
    ]
    stamps = project.visits.exclude(pk=done.pk).values_list("policy_version_id", flat=True)
    assert set(stamps) == {version.pk}
    assert plan_all_projects(today=D("2026-03-10"))["moved"] == 0


def test_policy_version_effective_later_waits_for_its_date(
    project: Project, policy: Policy, quality: User
) -> None:
    before = full_rows(project.visits.all())
    version = _publish_longer_kickoff(policy, D("2026-04-01"), quality)
    assert plan_all_projects(today=D("2026-03-31"))["moved"] == 0
    assert full_rows(project.visits.all()) == before
    assert plan_all_projects(today=D("2026-04-01"))["moved"] == 6  # closing: restamped
    assert set(project.visits.values_list("policy_version_id", flat=True)) == {version.pk}


# --- Working days -----------------------------------------------------------------------


def test_china_calendar_puts_every_due_date_on_a_working_day(policy: Policy, owner: User) -> None:
    created, _ = create_project(
        code="P-BI",
        name="Biweekly all year",
        customer=CustomerFactory(),
        manager=owner,
        status="active",
        cadence="biweekly",
        planned_start=D("2026-01-05"),
        planned_end=D("2026-12-18"),
        policy=policy,
        today=D("2026-01-01"),
    )
    china = WorkdayCalendar(CalendarKind.CHINA)
    dues = list(created.visits.values_list("due_date", flat=True))
    assert len(dues) == 25
    assert [due for due in dues if not china.is_working_day(due)] == []
    # Grid slots falling in holidays moved back to the last working day of their
    # window: Spring Festival 02-23 to Saturday 02-14 (a worked Saturday), Qingming
    # 04-06 to 04-03, Labour Day 05-04 to 04-30, National Day 10-05 to 09-30.
    shifted = {D("2026-02-14"), D("2026-04-03"), D("2026-04-30"), D("2026-09-30")}
    assert shifted & set(dues) == shifted


def test_weekends_calendar_moves_a_saturday_that_china_works(
    policy: Policy, project: Project
) -> None:
    draft = create_policy_draft(policy=policy, based_on=first_version(policy))
    draft.calendar = "weekends"
    draft.save()
    publish_policy_version(version=draft, effective_from=D("2026-01-01"), published_by=None)
    plan_project_visits(project=project, today=PLANNED_ON)
    assert visit(project, "ongoing", 2).due_date == D("2026-05-08")


def test_company_holiday_moves_a_due_date(project: Project) -> None:
    CompanyDay.objects.create(date=D("2026-04-09"), kind="holiday", name="Company anniversary")
    result = plan_project_visits(project=project, today=PLANNED_ON)
    assert keys(result.moved) == [("ongoing", 1)]
    assert visit(project, "ongoing", 1).due_date == D("2026-04-08")


# --- Property: whatever the dates do, people's visits are left alone -------------------

_changes = st.lists(
    st.fixed_dictionaries(
        {
            "start": st.integers(min_value=-20, max_value=40),
            "length": st.one_of(st.none(), st.integers(min_value=0, max_value=300)),
            "cadence": st.sampled_from(["monthly", "biweekly"]),
            "today": st.integers(min_value=-10, max_value=200),
        }
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(changes=_changes)
def test_replanning_never_touches_peoples_visits_and_is_idempotent(
    project: Project, changes: list[dict[str, Any]]
) -> None:
    base = D("2026-03-02")
    # Hypothesis reuses the test's database transaction: roll each example back.
    with transaction.atomic():
        untouched = people_touched(project)
        before = full_rows(untouched)
        current = project
        for change in changes:
            start = base + datetime.timedelta(days=change["start"])
            length = change["length"]
            today = base + datetime.timedelta(days=change["today"])
            current, _ = update_project(
                project=current,
                planned_start=start,
                planned_end=None if length is None else start + datetime.timedelta(days=length),
                cadence=change["cadence"],
                today=today,
            )
            assert full_rows(untouched) == before
            assert plan_project_visits(project=current, today=today) == PlanResult()
        transaction.set_rollback(True)


@pytest.mark.parametrize("status", ["planned", "active"])
def test_planned_and_active_projects_get_the_same_plan(
    policy: Policy, owner: User, status: str
) -> None:
    created, _ = create_project(
        code=f"P-{status}",
        name=status,
        customer=CustomerFactory(),
        manager=owner,
        status=status,
        cadence="monthly",
        planned_start=D("2026-03-02"),
        planned_end=D("2026-08-31"),
        policy=policy,
        today=PLANNED_ON,
    )
    assert plan_rows(created) == FIXTURE_PLAN
