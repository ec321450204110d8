"""Improvement actions: who may own them, progress, done, and verification at later
visits. The ``project`` fixture is managed by ``owner`` with ``colleague`` on the team;
today is 2026-04-20, after the kickoff (due 03-09) and ongoing #1 (due 04-09)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huifang.actions.models import ActionStatus, ActionVerification, ImprovementAction
from huifang.actions.services import (
    create_action,
    mark_action_done,
    update_action_progress,
    verify_action,
)
from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitRecord
from huifang.visits.recording import save_visit_record
from tests.factories import make_project

TODAY = datetime.date(2026, 4, 20)


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(
        datetime.datetime(2026, 4, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    )


def _visit(project: Project, phase: str, sequence: int = 1) -> Visit:
    return project.visits.get(phase=phase, sequence=sequence)


def _record(visit: Visit, user: User) -> VisitRecord:
    return save_visit_record(
        visit=visit,
        recorded_by=user,
        fields={"work_completed": "Design signed off"},
        problems=[],
        feedback=None,
        actions=[],
    )


def _action(project: Project, owner: User, **kwargs: Any) -> ImprovementAction:
    return create_action(
        project=project,
        description=kwargs.pop("description", "Send weekly status reports"),
        owner=owner,
        due_date=kwargs.pop("due_date", datetime.date(2026, 4, 30)),
        created_by=project.manager,
        **kwargs,
    )


@pytest.fixture
def done_action(project: Project, colleague: User) -> ImprovementAction:
    action = _action(project, colleague, record=_record(_visit(project, "kickoff"), colleague))
    return mark_action_done(action=action, note="Reports sent every Friday")


@pytest.fixture
def later_record(project: Project, owner: User) -> VisitRecord:
    return _record(_visit(project, "ongoing", 1), owner)


@pytest.fixture
def other_project(policy: Policy, outsider_pm: User) -> Project:
    return make_project(code="P-002", name="Warehouse", manager=outsider_pm, policy=policy)


# --- Creating -----------------------------------------------------------------------------


def test_create_action_owned_by_team_member_is_open(project: Project, colleague: User) -> None:
    action = _action(project, colleague)

    assert (action.status, action.owner, action.revision) == (ActionStatus.OPEN, colleague, 1)


def test_create_action_owned_by_project_manager_is_allowed(project: Project, owner: User) -> None:
    assert _action(project, owner).owner == owner


def test_create_action_owner_outside_team_refused(project: Project, outsider: User) -> None:
    with pytest.raises(DomainError):
        _action(project, outsider)

    assert ImprovementAction.objects.count() == 0


def test_create_action_without_description_refused(project: Project, colleague: User) -> None:
    with pytest.raises(DomainError):
        _action(project, colleague, description="   ")


def test_create_action_with_record_of_other_project_refused(
    project: Project, other_project: Project, colleague: User, outsider_pm: User
) -> None:
    foreign = _record(_visit(other_project, "kickoff"), outsider_pm)

    with pytest.raises(DomainError):
        _action(project, colleague, record=foreign)


# --- Progress and done ------------------------------------------------------------------


def test_update_action_progress_moves_it_in_progress(project: Project, colleague: User) -> None:
    action = _action(project, colleague)

    updated = update_action_progress(action=action, note="Template drafted", expected_revision=1)

    assert (updated.status, updated.progress_note, updated.revision) == (
        ActionStatus.IN_PROGRESS,
        "Template drafted",
        2,
    )


def test_update_action_progress_with_stale_revision_refused_and_unchanged(
    project: Project, colleague: User
) -> None:
    action = _action(project, colleague)
    update_action_progress(action=ImprovementAction.objects.get(pk=action.pk), note="First")

    with pytest.raises(DomainError) as error:
        update_action_progress(action=action, note="Second", expected_revision=1)

    assert error.value.code == "conflict"
    stored = ImprovementAction.objects.get(pk=action.pk)
    assert (stored.progress_note, stored.revision) == ("First", 2)


def test_update_action_progress_cannot_mark_done(project: Project, colleague: User) -> None:
    with pytest.raises(DomainError):
        update_action_progress(action=_action(project, colleague), note="x", status="done")


def test_mark_action_done_records_day_and_note(project: Project, colleague: User) -> None:
    action = mark_action_done(
        action=_action(project, colleague), note="Done", done_on=datetime.date(2026, 4, 18)
    )

    assert (action.status, action.done_on, action.done_note) == (
        ActionStatus.DONE,
        datetime.date(2026, 4, 18),
        "Done",
    )


def test_mark_action_done_defaults_to_today(project: Project, colleague: User) -> None:
    assert mark_action_done(action=_action(project, colleague), note="Done").done_on == TODAY


def test_mark_action_done_twice_refused(done_action: ImprovementAction) -> None:
    with pytest.raises(DomainError):
        mark_action_done(action=done_action, note="Again")


def test_mark_action_done_in_the_future_refused(project: Project, colleague: User) -> None:
    with pytest.raises(DomainError):
        mark_action_done(
            action=_action(project, colleague), note="x", done_on=datetime.date(2026, 4, 21)
        )


# --- Verification -----------------------------------------------------------------------


def test_verify_action_effective_closes_it(
    done_action: ImprovementAction, later_record: VisitRecord, owner: User
) -> None:
    verification = verify_action(
        action=done_action, record=later_record, result="effective", verified_by=owner
    )

    stored = ImprovementAction.objects.get(pk=done_action.pk)
    assert (stored.status, stored.closed_on) == (ActionStatus.VERIFIED_EFFECTIVE, TODAY)
    assert (verification.result, verification.verified_on) == ("effective", TODAY)


def test_verify_action_not_effective_reopens_with_new_due_date(
    done_action: ImprovementAction, later_record: VisitRecord, owner: User
) -> None:
    verify_action(
        action=done_action,
        record=later_record,
        result="not_effective",
        verified_by=owner,
        note="Customer still uninformed",
        new_due_date=datetime.date(2026, 5, 15),
    )

    stored = ImprovementAction.objects.get(pk=done_action.pk)
    assert (stored.status, stored.due_date, stored.done_on, stored.closed_on) == (
        ActionStatus.REOPENED,
        datetime.date(2026, 5, 15),
        None,
        None,
    )


@pytest.mark.parametrize("new_due_date", [None, TODAY, datetime.date(2026, 4, 1)])
def test_verify_action_not_effective_without_later_due_date_refused(
    done_action: ImprovementAction,
    later_record: VisitRecord,
    owner: User,
    new_due_date: datetime.date | None,
) -> None:
    with pytest.raises(DomainError):
        verify_action(
            action=done_action,
            record=later_record,
            result="not_effective",
            verified_by=owner,
            new_due_date=new_due_date,
        )

    assert ImprovementAction.objects.get(pk=done_action.pk).status == ActionStatus.DONE
    assert ActionVerification.objects.count() == 0


def test_verify_action_not_yet_keeps_status_and_records_verdict(
    project: Project, colleague: User, later_record: VisitRecord, owner: User
) -> None:
    action = update_action_progress(action=_action(project, colleague), note="Half way")

    verify_action(action=action, record=later_record, result="not_yet", verified_by=owner)

    assert ImprovementAction.objects.get(pk=action.pk).status == ActionStatus.IN_PROGRESS
    assert list(ActionVerification.objects.values_list("result", flat=True)) == ["not_yet"]


def test_verify_open_action_as_effective_refused(
    project: Project, colleague: User, later_record: VisitRecord, owner: User
) -> None:
    with pytest.raises(DomainError):
        verify_action(
            action=_action(project, colleague),
            record=later_record,
            result="effective",
            verified_by=owner,
        )


def test_verify_action_in_record_of_other_project_refused(
    done_action: ImprovementAction, other_project: Project, outsider_pm: User
) -> None:
    foreign = _record(_visit(other_project, "kickoff"), outsider_pm)

    with pytest.raises(DomainError):
        verify_action(
            action=done_action, record=foreign, result="effective", verified_by=outsider_pm
        )

    assert ImprovementAction.objects.get(pk=done_action.pk).status == ActionStatus.DONE


def test_verify_action_in_the_record_that_raised_it_refused(
    done_action: ImprovementAction, owner: User
) -> None:
    assert done_action.record is not None
    with pytest.raises(DomainError):
        verify_action(
            action=done_action, record=done_action.record, result="effective", verified_by=owner
        )


def test_verify_action_twice_in_one_record_refused(
    project: Project, colleague: User, later_record: VisitRecord, owner: User
) -> None:
    action = _action(project, colleague)
    verify_action(action=action, record=later_record, result="not_yet", verified_by=owner)

    with pytest.raises(DomainError):
        verify_action(action=action, record=later_record, result="not_yet", verified_by=owner)

    assert ActionVerification.objects.count() == 1


def test_verified_action_cannot_be_verified_again(
    done_action: ImprovementAction, later_record: VisitRecord, owner: User, project: Project
) -> None:
    verify_action(action=done_action, record=later_record, result="effective", verified_by=owner)
    third = _record(_visit(project, "ongoing", 2), owner)

    with pytest.raises(DomainError):
        verify_action(
            action=ImprovementAction.objects.get(pk=done_action.pk),
            record=third,
            result="not_yet",
            verified_by=owner,
        )


def test_verify_action_at_visit_before_it_was_done_refused(
    project: Project, colleague: User, later_record: VisitRecord, owner: User
) -> None:
    action = mark_action_done(action=_action(project, colleague), note="Done", done_on=TODAY)

    with pytest.raises(DomainError):
        verify_action(
            action=action,
            record=later_record,
            result="effective",
            verified_by=owner,
            on=datetime.date(2026, 4, 9),
        )
