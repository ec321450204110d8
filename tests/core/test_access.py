"""Who sees what and who may change what (huifang.core.access), as one table per rule.

The cast: ``owner`` manages P-001, ``colleague`` is on its team, ``outsider`` is on
the team of another project P-002, ``outsider_pm`` manages P-002, ``loner`` belongs to
no project; ``quality``, ``executive`` and ``admin`` are organisation-wide roles, and
``anonymous`` is nobody signed in.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model

from huifang.actions.models import ImprovementAction
from huifang.core import access
from huifang.core.models import Role, User
from huifang.policy.models import Policy
from huifang.projects.models import Membership, Project
from huifang.projects.services import set_project_team
from huifang.visits.models import Feedback, Problem, Visit, VisitRecord
from tests.factories import UserFactory, make_project

PEOPLE = (
    "owner",
    "colleague",
    "outsider",
    "outsider_pm",
    "loner",
    "quality",
    "executive",
    "admin",
    "anonymous",
)
BOTH = {"P-001", "P-002"}
NONE: set[str] = set()


@pytest.fixture
def other_project(policy: Policy, outsider_pm: User, outsider: User) -> Project:
    return make_project(
        code="P-002",
        name="Warehouse upgrade",
        manager=outsider_pm,
        policy=policy,
        cadence="biweekly",
        planned_end=datetime.date(2026, 6, 30),
        members=[outsider],
    )


@pytest.fixture
def people(
    owner: User,
    colleague: User,
    outsider: User,
    outsider_pm: User,
    quality: User,
    executive: User,
    admin_user: User,
) -> dict[str, Any]:
    return {
        "owner": owner,
        "colleague": colleague,
        "outsider": outsider,
        "outsider_pm": outsider_pm,
        "loner": UserFactory.create(username="loner", role=Role.MEMBER),
        "quality": quality,
        "executive": executive,
        "admin": admin_user,
        "anonymous": AnonymousUser(),
    }


def _fill(project: Project) -> None:
    """One of everything that hangs off a project, so every visible_to() has a row."""
    kickoff = project.visits.get(phase="kickoff")
    record = VisitRecord.objects.create(visit=kickoff, recorded_by=project.manager)
    problem = Problem.objects.create(
        project=project, record=record, category="schedule", description="Late delivery"
    )
    feedback = Feedback.objects.create(
        project=project, visit=kickoff, record=record, received_on=datetime.date(2026, 3, 9)
    )
    ImprovementAction.objects.create(
        project=project,
        record=record,
        problem=problem,
        feedback=feedback,
        description="Weekly status call",
        owner=project.manager,
        due_date=datetime.date(2026, 4, 1),
        created_by=project.manager,
    )


@pytest.fixture
def world(project: Project, other_project: Project, people: dict[str, Any]) -> dict[str, Any]:
    _fill(project)
    _fill(other_project)
    return people


# --- Scopes -----------------------------------------------------------------------------

SCOPE = {
    "owner": {"P-001"},
    "colleague": {"P-001"},
    "outsider": {"P-002"},
    "outsider_pm": {"P-002"},
    "loner": NONE,
    "quality": BOTH,
    "executive": BOTH,
    "admin": BOTH,
    "anonymous": NONE,
}

# Each model with a visible_to() queryset and how to read a row's project code.
SCOPED_MODELS: dict[str, tuple[type[Model], str]] = {
    "project": (Project, "code"),
    "visit": (Visit, "project__code"),
    "record": (VisitRecord, "visit__project__code"),
    "problem": (Problem, "project__code"),
    "feedback": (Feedback, "project__code"),
    "action": (ImprovementAction, "project__code"),
}


@pytest.mark.parametrize("model_name", list(SCOPED_MODELS))
@pytest.mark.parametrize("person", PEOPLE)
def test_visible_to_lists_exactly_the_projects_in_scope(
    world: dict[str, Any], person: str, model_name: str
) -> None:
    model, code_path = SCOPED_MODELS[model_name]
    rows = model.objects.visible_to(world[person])  # type: ignore[attr-defined]
    assert set(rows.values_list(code_path, flat=True)) == SCOPE[person]


@pytest.mark.parametrize("model_name", list(SCOPED_MODELS))
@pytest.mark.parametrize("person", PEOPLE)
def test_visible_to_lists_every_row_once(
    world: dict[str, Any], person: str, model_name: str
) -> None:
    model, code_path = SCOPED_MODELS[model_name]
    rows = model.objects.visible_to(world[person])  # type: ignore[attr-defined]
    expected = model.objects.filter(**{f"{code_path}__in": SCOPE[person]})  # type: ignore[attr-defined]
    assert sorted(rows.values_list("pk", flat=True)) == sorted(
        expected.values_list("pk", flat=True)
    )


def test_project_with_three_members_is_listed_once_for_its_manager(
    project: Project, owner: User
) -> None:
    team = [UserFactory.create(username=f"member{i}") for i in range(3)]
    set_project_team(project=project, members=team)
    assert project.memberships.count() == 3
    assert list(Project.objects.visible_to(owner).values_list("code", flat=True)) == ["P-001"]
    assert list(Project.objects.visible_to(team[0]).values_list("code", flat=True)) == ["P-001"]
    assert Visit.objects.visible_to(owner).count() == project.visits.count()


def test_manager_who_also_has_a_membership_row_sees_project_once(
    project: Project, owner: User
) -> None:
    # set_project_team never makes one, but data imported by hand might.
    Membership.objects.create(project=project, user=owner)
    assert list(Project.objects.visible_to(owner).values_list("code", flat=True)) == ["P-001"]


def test_removed_member_no_longer_sees_the_project(project: Project, colleague: User) -> None:
    set_project_team(project=project, members=[])
    assert list(Project.objects.visible_to(colleague)) == []


# --- Rights -----------------------------------------------------------------------------

T, F = True, False
ROLE_FUNCTIONS = (
    access.sees_all_projects,
    access.is_admin,
    access.is_quality_or_admin,
    access.is_read_only,
    access.can_create_project,
    access.can_manage_policy,
    access.can_manage_users,
)
ROLE_RIGHTS: dict[str, tuple[bool, ...]] = {
    #             sees all, admin, quality|admin, read-only, create, policy, users
    "owner": (F, F, F, F, T, F, F),
    "colleague": (F, F, F, F, F, F, F),
    "outsider": (F, F, F, F, F, F, F),
    "outsider_pm": (F, F, F, F, T, F, F),
    "loner": (F, F, F, F, F, F, F),
    "quality": (T, F, T, F, T, T, F),
    "executive": (T, F, F, T, F, F, F),
    "admin": (T, T, T, F, T, T, T),
    "anonymous": (F, F, F, T, F, F, F),
}


@pytest.mark.parametrize("person", PEOPLE)
def test_role_rights(people: dict[str, Any], person: str) -> None:
    answers = tuple(function(people[person]) for function in ROLE_FUNCTIONS)
    assert answers == ROLE_RIGHTS[person]


# Rights on P-001. "action (own)" is an action owned by the person asking;
# "action (colleague's)" one owned by the colleague.
PROJECT_RIGHTS: dict[str, tuple[bool, bool, bool, bool]] = {
    #             manage, record, action (own), action (colleague's)
    "owner": (T, T, T, T),
    "colleague": (F, T, T, T),
    "outsider": (F, F, T, F),
    "outsider_pm": (F, F, T, F),
    "loner": (F, F, T, F),
    "quality": (T, T, T, T),
    "executive": (F, F, F, F),
    "admin": (T, T, T, T),
    "anonymous": (F, F, F, F),
}


@pytest.mark.parametrize("person", PEOPLE)
def test_project_rights(project: Project, people: dict[str, Any], person: str) -> None:
    user = people[person]
    colleague = people["colleague"]
    answers = (
        access.can_manage_project(user, project),
        access.can_record_visit(user, project),
        access.can_change_action(user, project, user.pk),
        access.can_change_action(user, project, colleague.pk),
    )
    assert answers == PROJECT_RIGHTS[person]


def test_executive_is_read_only_even_on_an_action_they_own(
    project: Project, executive: User
) -> None:
    assert access.is_read_only(executive) is True
    assert access.can_record_visit(executive, project) is False
    assert access.can_manage_project(executive, project) is False
    assert access.can_change_action(executive, project, executive.pk) is False
    assert access.can_create_project(executive) is False
    assert access.can_manage_policy(executive) is False


def test_action_without_owner_only_changes_by_managers(project: Project, colleague: User) -> None:
    assert access.can_change_action(colleague, project, None) is False
    assert access.can_change_action(project.manager, project, None) is True


def test_pm_who_is_member_of_another_project_records_visits_but_cannot_plan(
    project: Project, outsider_pm: User, colleague: User
) -> None:
    set_project_team(project=project, members=[colleague, outsider_pm])
    assert list(Project.objects.visible_to(outsider_pm).values_list("code", flat=True)) == ["P-001"]
    assert access.can_record_visit(outsider_pm, project) is True
    assert access.can_manage_project(outsider_pm, project) is False
    assert access.can_change_action(outsider_pm, project, colleague.pk) is False


def test_member_removed_from_team_can_no_longer_record(project: Project, colleague: User) -> None:
    set_project_team(project=project, members=[])
    assert access.can_record_visit(colleague, project) is False


def test_superuser_counts_as_admin_whatever_the_role(project: Project) -> None:
    root = UserFactory.create(username="root", role=Role.EXECUTIVE, is_superuser=True)
    assert access.is_admin(root) is True
    assert access.is_read_only(root) is False
    assert access.can_manage_project(root, project) is True
    assert list(Project.objects.visible_to(root).values_list("code", flat=True)) == ["P-001"]


def test_require_passes_when_allowed_and_answers_403_otherwise() -> None:
    access.require(True)  # no exception: allowed
    with pytest.raises(PermissionDenied):
        access.require(False)
