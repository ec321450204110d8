"""Recording visits: drafts, submission, amendments, and the other ways a visit ends.

The ``project`` fixture (managed by ``owner``, ``colleague`` on the team) runs
2026-03-02 – 2026-08-31 (182 days); kickoff due 03-09, ongoing #1 due 04-09, #2 due
05-09. Today is 2026-04-20.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huifang.actions.models import ActionStatus, ActionVerification, ImprovementAction
from huifang.actions.services import create_action, mark_action_done, update_action_progress
from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.projects.services import create_project
from huifang.visits.lifecycle import (
    book_visit,
    cancel_visit,
    create_adhoc_visit,
    mark_visit_missed,
    reassign_visit,
)
from huifang.visits.models import Feedback, Problem, Visit, VisitRecord, VisitStatus
from huifang.visits.recording import (
    NO_RECORD_YET,
    amend_visit_record,
    planned_percent,
    save_visit_record,
    schedule_variance_days,
    submit_visit_record,
)
from tests.factories import ContactFactory, CustomerFactory

TODAY = datetime.date(2026, 4, 20)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False)


def _visit(project: Project, phase: str = "kickoff", sequence: int = 1) -> Visit:
    return project.visits.get(phase=phase, sequence=sequence)


def _save(visit: Visit, user: User, **kwargs: Any) -> VisitRecord:
    arguments: dict[str, Any] = {
        "fields": {},
        "problems": [],
        "feedback": None,
        "actions": [],
        "verifications": [],
    }
    arguments.update(kwargs)
    return save_visit_record(visit=visit, recorded_by=user, **arguments)


def _full_record(project: Project, user: User, colleague: User) -> VisitRecord:
    return _save(
        _visit(project),
        user,
        fields={
            "work_completed": "Requirements signed off",
            "work_outstanding": "Data migration",
            "schedule_status": "on_track",
            "percent_complete": 10,
            "checklist": {"goals_confirmed": True, "plan_confirmed": False},
            "summary": "Good start",
        },
        problems=[
            {"category": "schedule", "severity": "high", "description": "Late test data"},
            {"category": "communication", "description": "No weekly report", "raised_by": "team"},
        ],
        feedback={"overall_satisfaction": 4, "likelihood_to_recommend": 9, "suggestions": "More"},
        actions=[
            {
                "description": "Agree test data plan",
                "owner": colleague,
                "due_date": datetime.date(2026, 3, 31),
                "problem_index": 0,
            }
        ],
    )


# --- The linear plan --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (datetime.date(2026, 1, 1), 0),  # before the start: clamped
        (datetime.date(2026, 3, 2), 0),
        (datetime.date(2026, 4, 1), 16),  # 30 / 182 days = 16.48 %
        (datetime.date(2026, 6, 1), 50),  # 91 / 182 days
        (datetime.date(2026, 8, 31), 100),
        (datetime.date(2026, 10, 1), 100),  # after the end: clamped
    ],
)
def test_planned_percent_is_linear_between_start_and_end(on: datetime.date, expected: int) -> None:
    start, end = datetime.date(2026, 3, 2), datetime.date(2026, 8, 31)

    assert planned_percent(start=start, end=end, on=on) == expected


def test_planned_percent_without_end_is_unknown() -> None:
    assert planned_percent(start=TODAY, end=None, on=TODAY) is None


def test_schedule_variance_days_counts_days_ahead_or_behind() -> None:
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 4, 11)  # 100 days
    day_50 = start + datetime.timedelta(days=50)

    assert [
        schedule_variance_days(start=start, end=end, on=day_50, percent_complete=percent)
        for percent in (40, 50, 65, None)
    ] == [-10, 0, 15, None]


# --- Drafts -----------------------------------------------------------------------------


def test_save_visit_record_creates_draft_with_all_sections(
    project: Project, owner: User, colleague: User
) -> None:
    record = _full_record(project, colleague, colleague)

    assert (record.status, record.revision, record.recorded_by) == ("draft", 1, colleague)
    # Planned on the day the draft is written (today, no appointment): 49 / 182 days.
    assert (record.planned_percent, record.variance_days) == (27, -31)
    assert sorted(record.problems.values_list("category", "severity", "raised_by")) == [
        ("communication", "medium", "team"),
        ("schedule", "high", "customer"),
    ]
    feedback = record.feedback.get()
    assert (feedback.overall_satisfaction, feedback.likelihood_to_recommend) == (4, 9)
    action = record.actions.select_related("problem").get()
    assert (action.origin, getattr(action.problem, "description", None), action.owner) == (
        "problem",
        "Late test data",
        colleague,
    )
    assert _visit(project).status == VisitStatus.PLANNED


def test_save_visit_record_again_replaces_sections_and_keeps_named_actions(
    project: Project, owner: User, colleague: User
) -> None:
    first = _full_record(project, colleague, colleague)
    action = first.actions.get()

    second = _save(
        _visit(project),
        owner,
        fields={"summary": "Revised"},
        problems=[{"category": "quality", "description": "Defects in reports"}],
        actions=[
            {
                "id": action.pk,
                "description": "Fix report defects",
                "owner": owner,
                "due_date": datetime.date(2026, 4, 30),
                "problem_index": 0,
            }
        ],
        expected_revision=1,
    )

    assert (second.pk, second.revision, second.summary, second.recorded_by) == (
        first.pk,
        2,
        "Revised",
        owner,
    )
    assert second.work_completed == "Requirements signed off"  # fields not sent stay
    assert list(Problem.objects.values_list("description", flat=True)) == ["Defects in reports"]
    assert Feedback.objects.count() == 0
    stored = ImprovementAction.objects.select_related("problem").get()
    assert (
        stored.pk,
        stored.description,
        stored.owner,
        getattr(stored.problem, "description", None),
    ) == (
        action.pk,
        "Fix report defects",
        owner,
        "Defects in reports",
    )


def test_save_visit_record_drops_actions_left_out(project: Project, colleague: User) -> None:
    _full_record(project, colleague, colleague)

    _save(_visit(project), colleague, actions=[])

    assert ImprovementAction.objects.count() == 0


def test_save_visit_record_keeps_action_already_worked_on(
    project: Project, colleague: User
) -> None:
    record = _full_record(project, colleague, colleague)
    update_action_progress(action=record.actions.get(), note="Started")

    with pytest.raises(DomainError):
        _save(_visit(project), colleague, actions=[])

    assert ImprovementAction.objects.count() == 1


def test_save_visit_record_with_stale_revision_refused_and_nothing_changed(
    project: Project, owner: User, colleague: User
) -> None:
    _full_record(project, colleague, colleague)
    _save(_visit(project), owner, fields={"summary": "Owner's edit"}, expected_revision=1)

    with pytest.raises(DomainError) as error:
        _save(
            _visit(project),
            colleague,
            fields={"summary": "Colleague's stale edit"},
            problems=[],
            expected_revision=1,
        )

    assert error.value.code == "conflict"
    record = VisitRecord.objects.get()
    assert (record.summary, record.revision, record.recorded_by) == ("Owner's edit", 2, owner)
    assert Problem.objects.count() == 0  # the owner's save replaced them; the stale one did not


def test_save_visit_record_by_one_who_saw_no_record_refused_once_a_draft_exists(
    project: Project, owner: User, colleague: User
) -> None:
    _save(_visit(project), owner, fields={"summary": "Owner's draft"}, problems=[])

    with pytest.raises(DomainError) as error:
        _save(
            _visit(project),
            colleague,
            fields={"summary": "Colleague's first draft"},
            problems=[],
            expected_revision=NO_RECORD_YET,
        )

    assert error.value.code == "conflict"
    assert VisitRecord.objects.get().summary == "Owner's draft"


def test_save_visit_record_action_owner_outside_team_refused(
    project: Project, owner: User, outsider: User
) -> None:
    with pytest.raises(DomainError):
        _save(
            _visit(project),
            owner,
            actions=[
                {"description": "x", "owner": outsider, "due_date": datetime.date(2026, 5, 1)}
            ],
        )

    assert ImprovementAction.objects.count() == 0


def test_save_visit_record_unknown_checklist_item_refused(project: Project, owner: User) -> None:
    with pytest.raises(DomainError):
        _save(_visit(project), owner, fields={"checklist": {"results_accepted": True}})


def test_save_visit_record_of_cancelled_visit_refused(project: Project, owner: User) -> None:
    visit = cancel_visit(visit=_visit(project, "ongoing", 2), reason="Customer asked")

    with pytest.raises(DomainError):
        _save(visit, owner, fields={"summary": "x"})

    assert VisitRecord.objects.count() == 0


def test_save_visit_record_feedback_respondent_of_other_customer_refused(
    project: Project, owner: User
) -> None:
    with pytest.raises(DomainError):
        _save(_visit(project), owner, feedback={"respondent": ContactFactory.create()})


@pytest.mark.parametrize("score", [0, 6])
def test_save_visit_record_satisfaction_out_of_range_refused(
    project: Project, owner: User, score: int
) -> None:
    with pytest.raises(DomainError):
        _save(_visit(project), owner, feedback={"overall_satisfaction": score})


# --- Submitting -------------------------------------------------------------------------


def test_submit_visit_record_on_time_marks_visit_done_on_time(
    project: Project, owner: User, colleague: User
) -> None:
    record = _full_record(project, colleague, colleague)

    submitted = submit_visit_record(
        record=record, submitted_by=owner, completed_on=datetime.date(2026, 3, 9)
    )

    visit = _visit(project)
    assert (visit.status, visit.completed_on, visit.on_time) == (
        VisitStatus.DONE,
        datetime.date(2026, 3, 9),
        True,
    )
    assert (submitted.status, submitted.recorded_by, submitted.revision) == (
        "submitted",
        owner,
        2,
    )
    assert submitted.submitted_at is not None
    # Re-planned for the day the visit took place: 7 / 182 days, 10 % vs 3.85 % planned.
    assert (submitted.planned_percent, submitted.variance_days) == (4, 11)
    assert submitted.feedback.get().received_on == datetime.date(2026, 3, 9)


def test_submit_visit_record_after_due_date_marks_visit_late(project: Project, owner: User) -> None:
    record = _save(_visit(project), owner, fields={"summary": "Late but held"})

    submit_visit_record(record=record, submitted_by=owner)

    visit = _visit(project)
    assert (visit.status, visit.completed_on, visit.on_time) == (VisitStatus.DONE, TODAY, False)


def test_submit_visit_record_of_missed_visit_makes_it_done_late(
    project: Project, owner: User
) -> None:
    mark_visit_missed(visit=_visit(project))
    record = _save(_visit(project), owner, fields={"summary": "Held after all"})

    submit_visit_record(record=record, submitted_by=owner, completed_on=datetime.date(2026, 4, 1))

    assert _visit(project).on_time is False


def test_submit_visit_record_in_the_future_refused(project: Project, owner: User) -> None:
    record = _save(_visit(project), owner)

    with pytest.raises(DomainError):
        submit_visit_record(
            record=record, submitted_by=owner, completed_on=datetime.date(2026, 4, 21)
        )

    assert _visit(project).status == VisitStatus.PLANNED


def test_submit_visit_record_with_stale_revision_refused(project: Project, owner: User) -> None:
    record = _save(_visit(project), owner)
    _save(_visit(project), owner, fields={"summary": "newer"})

    with pytest.raises(DomainError) as error:
        submit_visit_record(record=record, submitted_by=owner, expected_revision=1)

    assert error.value.code == "conflict"
    assert (VisitRecord.objects.get().status, _visit(project).status) == ("draft", "planned")


def test_submitted_record_refuses_save(project: Project, owner: User) -> None:
    record = _save(_visit(project), owner, fields={"summary": "Final"})
    submit_visit_record(record=record, submitted_by=owner)

    with pytest.raises(DomainError) as error:
        _save(_visit(project), owner, fields={"summary": "Changed afterwards"})

    assert error.value.code == "read_only"
    assert VisitRecord.objects.get().summary == "Final"


def test_submitted_record_refuses_second_submit(project: Project, owner: User) -> None:
    record = submit_visit_record(record=_save(_visit(project), owner), submitted_by=owner)

    with pytest.raises(DomainError):
        submit_visit_record(record=record, submitted_by=owner)


def test_submit_visit_record_applies_verifications_of_earlier_actions(
    project: Project, owner: User, colleague: User
) -> None:
    kickoff = submit_visit_record(
        record=_full_record(project, colleague, colleague),
        submitted_by=owner,
        completed_on=datetime.date(2026, 3, 9),
    )
    effective = mark_action_done(
        action=kickoff.actions.get(), note="Plan agreed", done_on=datetime.date(2026, 3, 20)
    )
    reopened = mark_action_done(
        action=create_action(
            project=project,
            description="Weekly report",
            owner=colleague,
            due_date=datetime.date(2026, 3, 20),
            created_by=owner,
        ),
        note="Sent once",
        done_on=datetime.date(2026, 3, 20),
    )
    waiting = create_action(
        project=project,
        description="Training",
        owner=colleague,
        due_date=datetime.date(2026, 5, 1),
        created_by=owner,
    )
    draft = _save(
        _visit(project, "ongoing", 1),
        colleague,
        verifications=[
            {"action": effective, "result": "effective", "note": "Works"},
            {
                "action": reopened,
                "result": "not_effective",
                "new_due_date": datetime.date(2026, 4, 30),
            },
            {"action": waiting, "result": "not_yet"},
        ],
    )
    # A draft's verdicts do not change the actions yet.
    assert ImprovementAction.objects.get(pk=effective.pk).status == ActionStatus.DONE

    submit_visit_record(
        record=draft, submitted_by=colleague, completed_on=datetime.date(2026, 4, 9)
    )

    statuses = dict(ImprovementAction.objects.values_list("description", "status"))
    assert statuses == {
        "Agree test data plan": ActionStatus.VERIFIED_EFFECTIVE,
        "Weekly report": ActionStatus.REOPENED,
        "Training": ActionStatus.OPEN,
    }
    assert ImprovementAction.objects.get(pk=effective.pk).closed_on == datetime.date(2026, 4, 9)
    assert ImprovementAction.objects.get(pk=reopened.pk).due_date == datetime.date(2026, 4, 30)
    assert sorted(
        ActionVerification.objects.values_list("result", "verified_on", "verified_by__username")
    ) == [
        ("effective", datetime.date(2026, 4, 9), "colleague"),
        ("not_effective", datetime.date(2026, 4, 9), "colleague"),
        ("not_yet", datetime.date(2026, 4, 9), "colleague"),
    ]


def test_save_visit_record_verifying_action_of_other_project_refused(
    project: Project, owner: User, outsider_pm: User, policy: Policy
) -> None:
    other, _ = create_project(
        code="P-002",
        name="Other",
        customer=CustomerFactory(),
        manager=outsider_pm,
        status="active",
        planned_start=datetime.date(2026, 3, 2),
        planned_end=datetime.date(2026, 8, 31),
        policy=policy,
        today=datetime.date(2026, 3, 1),
    )
    foreign = mark_action_done(
        action=create_action(
            project=other,
            description="Foreign",
            owner=outsider_pm,
            due_date=TODAY,
            created_by=outsider_pm,
        ),
        note="done",
    )

    with pytest.raises(DomainError):
        _save(_visit(project), owner, verifications=[{"action": foreign, "result": "effective"}])

    assert ActionVerification.objects.count() == 0


# --- Amendments -------------------------------------------------------------------------


def test_amend_visit_record_keeps_old_and_new_values(
    project: Project, owner: User, colleague: User
) -> None:
    record = submit_visit_record(
        record=_full_record(project, colleague, colleague),
        submitted_by=colleague,
        completed_on=datetime.date(2026, 3, 9),
    )

    amended = amend_visit_record(
        record=record,
        amended_by=owner,
        reason="Typo in the percentage",
        changes={"percent_complete": 5, "summary": "Good start"},
    )

    assert (amended.percent_complete, amended.variance_days, amended.revision) == (5, 2, 3)
    amendment = amended.amendments.get()
    assert (amendment.reason, amendment.amended_by, amendment.changes) == (
        "Typo in the percentage",
        owner,
        {
            "percent_complete": {"old": 10, "new": 5},
            "variance_days": {"old": 11, "new": 2},
        },
    )


def test_amend_visit_record_without_reason_refused(project: Project, owner: User) -> None:
    record = submit_visit_record(record=_save(_visit(project), owner), submitted_by=owner)

    with pytest.raises(DomainError):
        amend_visit_record(record=record, amended_by=owner, reason="  ", changes={"summary": "x"})

    assert VisitRecord.objects.get().summary == ""


def test_amend_draft_refused(project: Project, owner: User) -> None:
    with pytest.raises(DomainError):
        amend_visit_record(
            record=_save(_visit(project), owner),
            amended_by=owner,
            reason="why",
            changes={"summary": "x"},
        )


def test_amend_visit_record_changing_nothing_refused(project: Project, owner: User) -> None:
    record = submit_visit_record(
        record=_save(_visit(project), owner, fields={"summary": "same"}), submitted_by=owner
    )

    with pytest.raises(DomainError):
        amend_visit_record(record=record, amended_by=owner, reason="r", changes={"summary": "same"})


# --- Other outcomes ---------------------------------------------------------------------


def test_mark_visit_missed_after_due_date(project: Project) -> None:
    assert mark_visit_missed(visit=_visit(project)).status == VisitStatus.MISSED


def test_mark_visit_missed_before_due_date_refused(project: Project) -> None:
    with pytest.raises(DomainError):
        mark_visit_missed(visit=_visit(project, "ongoing", 2))


def test_mark_visit_missed_by_a_sweep_for_a_day_before_due_refused(project: Project) -> None:
    with pytest.raises(DomainError):
        mark_visit_missed(visit=_visit(project), today=datetime.date(2026, 3, 9))

    assert _visit(project).status == VisitStatus.PLANNED


def test_mark_done_visit_missed_refused(project: Project, owner: User) -> None:
    submit_visit_record(record=_save(_visit(project), owner), submitted_by=owner)

    with pytest.raises(DomainError):
        mark_visit_missed(visit=_visit(project))

    assert _visit(project).status == VisitStatus.DONE


def test_cancel_visit_keeps_reason(project: Project) -> None:
    visit = cancel_visit(visit=_visit(project, "ongoing", 2), reason="Customer on holiday")

    assert (visit.status, visit.cancel_reason) == (VisitStatus.CANCELLED, "Customer on holiday")


def test_cancel_visit_without_reason_refused(project: Project) -> None:
    with pytest.raises(DomainError):
        cancel_visit(visit=_visit(project, "ongoing", 2), reason=" ")


def test_cancel_done_visit_refused(project: Project, owner: User) -> None:
    submit_visit_record(record=_save(_visit(project), owner), submitted_by=owner)

    with pytest.raises(DomainError):
        cancel_visit(visit=_visit(project), reason="Oops")


def test_schedule_visit_sets_appointment_and_allows_rescheduling(
    project: Project, colleague: User, owner: User
) -> None:
    contact = ContactFactory.create(customer=project.customer)
    first = datetime.datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI)
    visit = book_visit(
        visit=_visit(project, "ongoing", 2),
        scheduled_at=first,
        form="phone",
        owner=colleague,
        contacts=[contact],
        participants=[owner],
    )

    moved = book_visit(
        visit=visit, scheduled_at=first + datetime.timedelta(days=1), form="face_to_face"
    )

    assert (moved.status, moved.scheduled_at, moved.form, moved.owner) == (
        VisitStatus.SCHEDULED,
        first + datetime.timedelta(days=1),
        "face_to_face",
        colleague,
    )
    assert (list(moved.contacts.all()), list(moved.participants.all())) == ([contact], [])


def test_schedule_visit_owner_outside_team_refused(project: Project, outsider: User) -> None:
    with pytest.raises(DomainError):
        book_visit(
            visit=_visit(project, "ongoing", 2),
            scheduled_at=datetime.datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI),
            form="phone",
            owner=outsider,
        )

    assert _visit(project, "ongoing", 2).status == VisitStatus.PLANNED


def test_schedule_visit_contact_of_other_customer_refused(project: Project) -> None:
    with pytest.raises(DomainError):
        book_visit(
            visit=_visit(project, "ongoing", 2),
            scheduled_at=datetime.datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI),
            form="phone",
            contacts=[ContactFactory.create()],
        )


def test_schedule_cancelled_visit_refused(project: Project) -> None:
    visit = cancel_visit(visit=_visit(project, "ongoing", 2), reason="No need")

    with pytest.raises(DomainError):
        book_visit(
            visit=visit,
            scheduled_at=datetime.datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI),
            form="phone",
        )


def test_reassign_visit_changes_owner_only(project: Project, colleague: User) -> None:
    visit = reassign_visit(visit=_visit(project, "ongoing", 2), owner=colleague)

    assert (visit.owner, visit.status) == (colleague, VisitStatus.PLANNED)


def test_reassign_visit_outside_team_or_done_refused(
    project: Project, owner: User, outsider: User, colleague: User
) -> None:
    submit_visit_record(record=_save(_visit(project), owner), submitted_by=owner)

    with pytest.raises(DomainError):
        reassign_visit(visit=_visit(project, "ongoing", 2), owner=outsider)
    with pytest.raises(DomainError):
        reassign_visit(visit=_visit(project), owner=colleague)

    assert (_visit(project, "ongoing", 2).owner, _visit(project).owner) == (owner, owner)


def test_create_adhoc_visit_is_outside_the_plan(project: Project, colleague: User) -> None:
    visit = create_adhoc_visit(
        project=project, due_date=datetime.date(2026, 4, 25), owner=colleague
    )

    assert (visit.is_adhoc, visit.sequence, visit.window_start, visit.phase, visit.owner) == (
        True,
        None,
        datetime.date(2026, 4, 25),
        "ongoing",
        colleague,
    )


def test_create_adhoc_visit_owner_outside_team_refused(project: Project, outsider: User) -> None:
    with pytest.raises(DomainError):
        create_adhoc_visit(project=project, due_date=TODAY, owner=outsider)
