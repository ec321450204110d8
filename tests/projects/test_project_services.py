"""Writes to projects and their teams (huifang.projects.services)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import translation

from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.projects.services import (
    create_project,
    put_project_on_hold,
    resume_project,
    set_project_team,
    update_project,
)
from huifang.visits.models import Visit
from huifang.visits.planning import PlanResult
from tests.factories import CustomerFactory, UserFactory

D = datetime.date.fromisoformat


@pytest.fixture(autouse=True)
def _english() -> Any:
    # Messages are compared in their English source form.
    with translation.override("en"):
        yield


def new_project(policy: Policy, manager: User, **fields: Any) -> tuple[Project, PlanResult]:
    values: dict[str, Any] = {
        "code": "P-NEW",
        "name": "New project",
        "customer": CustomerFactory(),
        "manager": manager,
        "status": "active",
        "planned_start": D("2026-03-02"),
        "planned_end": D("2026-08-31"),
        "policy": policy,
        "today": D("2026-03-01"),
    }
    values.update(fields)
    return create_project(**values)


def team(project: Project) -> list[str]:
    return sorted(project.memberships.values_list("user__username", flat=True))


def visit_rows(project: Project) -> list[dict[str, Any]]:
    return [dict(row) for row in Visit.objects.filter(project=project).order_by("pk").values()]


# --- create_project ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"planned_start": D("2026-03-02"), "planned_end": D("2026-03-01")},
            "The planned end cannot be before the planned start.",
        ),
        (
            {"actual_start": D("2026-03-10"), "actual_end": D("2026-03-09")},
            "The actual end cannot be before the actual start.",
        ),
        (
            {"status": "completed", "actual_end": None},
            "A completed project needs its actual end date.",
        ),
    ],
)
def test_create_project_refuses_impossible_dates(
    policy: Policy, owner: User, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError) as raised:
        new_project(policy, owner, **fields)
    assert raised.value.message == message
    assert list(Project.objects.values_list("code", flat=True)) == []
    assert Visit.objects.count() == 0


def test_create_project_accepts_a_one_day_project(policy: Policy, owner: User) -> None:
    created, _ = new_project(
        policy, owner, planned_start=D("2026-03-02"), planned_end=D("2026-03-02")
    )
    assert list(created.visits.values_list("phase", flat=True)) == ["kickoff", "closing"]


def test_create_project_completed_with_actual_end_plans_its_closing_visit(
    policy: Policy, owner: User
) -> None:
    created, _ = new_project(
        policy,
        owner,
        status="completed",
        actual_start=D("2026-03-02"),
        actual_end=D("2026-04-30"),
    )
    closing = created.visits.get(phase="closing")
    assert (closing.window_start, closing.due_date) == (D("2026-04-30"), D("2026-05-07"))


def test_create_project_without_end_date_plans_ahead_to_the_horizon(
    policy: Policy, owner: User
) -> None:
    created, _ = new_project(policy, owner, planned_end=None)
    phases = list(created.visits.values_list("phase", flat=True))
    # Kickoff due 03-09, then monthly up to 180 days after 2026-03-01 (08-28).
    assert phases == ["kickoff"] + ["ongoing"] * 5
    assert created.visits.filter(phase="closing").exists() is False


def test_create_project_on_hold_records_the_hold(policy: Policy, owner: User) -> None:
    created, _ = new_project(policy, owner, status="on_hold")
    assert list(created.holds.values_list("started_on", "ended_on")) == [(D("2026-03-01"), None)]


# --- update_project ---------------------------------------------------------------------


def test_update_project_refuses_end_before_start(project: Project) -> None:
    before = visit_rows(project)
    with pytest.raises(DomainError) as raised:
        update_project(project=project, planned_end=D("2026-03-01"), today=D("2026-03-01"))
    assert raised.value.message == "The planned end cannot be before the planned start."
    project.refresh_from_db()
    assert project.planned_end == D("2026-08-31")
    assert visit_rows(project) == before


def test_completing_without_actual_end_is_refused(project: Project) -> None:
    with pytest.raises(DomainError) as raised:
        update_project(project=project, status="completed", today=D("2026-06-01"))
    assert raised.value.message == "A completed project needs its actual end date."
    project.refresh_from_db()
    assert project.status == "active"


def test_renaming_a_project_does_not_replan(project: Project) -> None:
    before = visit_rows(project)
    renamed, result = update_project(project=project, name="ERP rollout II")
    assert renamed.name == "ERP rollout II"
    assert result == PlanResult()
    assert visit_rows(project) == before


def test_new_manager_is_not_also_a_member(project: Project, colleague: User) -> None:
    update_project(project=project, manager=colleague, today=D("2026-03-01"))
    project.refresh_from_db()
    assert project.manager == colleague
    assert team(project) == []


# --- set_project_team -------------------------------------------------------------------


def test_set_project_team_makes_the_team_exactly_the_given_people(
    project: Project, owner: User, colleague: User
) -> None:
    ann, bob = UserFactory.create(username="ann"), UserFactory.create(username="bob")
    set_project_team(project=project, members=[ann, colleague, owner])
    assert team(project) == ["ann", "colleague"]
    set_project_team(project=project, members=[bob, ann, bob])
    assert team(project) == ["ann", "bob"]
    set_project_team(project=project, members=[])
    assert team(project) == []


def test_set_project_team_keeps_rows_of_people_who_stay(project: Project, colleague: User) -> None:
    kept = project.memberships.get(user=colleague)
    set_project_team(project=project, members=[colleague, UserFactory.create(username="ann")])
    assert project.memberships.get(user=colleague).pk == kept.pk


def test_manager_never_becomes_a_member_row(project: Project, owner: User) -> None:
    set_project_team(project=project, members=[owner])
    assert team(project) == []


# --- Hold and resume --------------------------------------------------------------------


@pytest.mark.parametrize("status", ["planned", "on_hold", "completed", "cancelled"])
def test_only_an_active_project_can_be_put_on_hold(
    policy: Policy, owner: User, status: str
) -> None:
    created, _ = new_project(
        policy, owner, status=status, actual_start=D("2026-03-02"), actual_end=D("2026-04-30")
    )
    holds_before = list(created.holds.values_list("started_on", "ended_on"))
    with pytest.raises(DomainError) as raised:
        put_project_on_hold(project=created, today=D("2026-04-01"))
    assert raised.value.message == "Only an active project can be put on hold."
    created.refresh_from_db()
    assert created.status == status
    assert list(created.holds.values_list("started_on", "ended_on")) == holds_before


@pytest.mark.parametrize("status", ["planned", "active", "completed", "cancelled"])
def test_only_a_project_on_hold_can_be_resumed(policy: Policy, owner: User, status: str) -> None:
    created, _ = new_project(
        policy, owner, status=status, actual_start=D("2026-03-02"), actual_end=D("2026-04-30")
    )
    with pytest.raises(DomainError) as raised:
        resume_project(project=created, today=D("2026-04-01"))
    assert raised.value.message == "Only a project on hold can be resumed."
    created.refresh_from_db()
    assert created.status == status


def test_hold_and_resume_record_the_hold_period(project: Project) -> None:
    on_hold, _ = put_project_on_hold(project=project, reason="Budget", today=D("2026-04-15"))
    resumed, _ = resume_project(project=on_hold, today=D("2026-05-20"))
    assert resumed.status == "active"
    assert list(resumed.holds.values_list("started_on", "ended_on", "reason")) == [
        (D("2026-04-15"), D("2026-05-20"), "Budget")
    ]


def test_hold_twice_is_refused_without_a_second_period(project: Project) -> None:
    on_hold, _ = put_project_on_hold(project=project, today=D("2026-04-15"))
    with pytest.raises(DomainError):
        put_project_on_hold(project=on_hold, today=D("2026-04-16"))
    assert project.holds.count() == 1


def test_status_set_back_to_active_directly_ends_the_hold(project: Project) -> None:
    # E.g. the admin form's status field: the hold must end, or ongoing visits would
    # stay suppressed for good.
    on_hold, _ = put_project_on_hold(project=project, today=D("2026-04-15"))
    active, _ = update_project(project=on_hold, status="active", today=D("2026-06-20"))
    assert list(active.holds.values_list("started_on", "ended_on")) == [
        (D("2026-04-15"), D("2026-06-20"))
    ]
    assert list(
        active.visits.filter(phase="ongoing").values_list("sequence", "window_start", "due_date")
    ) == [
        (1, D("2026-03-10"), D("2026-04-09")),
        (4, D("2026-06-20"), D("2026-07-09")),
        (5, D("2026-07-10"), D("2026-08-07")),
    ]
    # And it can be put on hold again later.
    put_project_on_hold(project=active, today=D("2026-07-01"))
    assert project.holds.count() == 2


def test_status_set_to_on_hold_directly_records_a_hold(project: Project) -> None:
    on_hold, _ = update_project(project=project, status="on_hold", today=D("2026-04-15"))
    assert list(on_hold.holds.values_list("started_on", "ended_on")) == [(D("2026-04-15"), None)]
    resumed, _ = resume_project(project=on_hold, today=D("2026-06-20"))
    assert list(resumed.holds.values_list("started_on", "ended_on")) == [
        (D("2026-04-15"), D("2026-06-20"))
    ]


def test_new_manager_takes_over_the_planned_visits_of_the_old_one(project, outsider_pm) -> None:
    from huifang.visits.models import Visit, VisitStatus

    planned_before = set(
        Visit.objects.filter(project=project, status=VisitStatus.PLANNED).values_list(
            "pk", flat=True
        )
    )
    update_project(project=project, manager=outsider_pm)
    owners = set(
        Visit.objects.filter(pk__in=planned_before).values_list("owner__username", flat=True)
    )
    assert owners == {"outsider_pm"}
