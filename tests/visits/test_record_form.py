"""The record form of a visit: access, validation, drafts, conflicts, submission,
amendments and the verification of earlier actions.

The ``project`` fixture (managed by ``owner``, ``colleague`` on the team) runs
2026-03-02 – 2026-08-31; kickoff due 03-09. Today is 2026-04-20.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from huifang.actions.models import ActionStatus, ImprovementAction
from huifang.actions.services import create_action, mark_action_done
from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import Problem, RecordAmendment, VisitRecord, VisitStatus
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.pages import form_version
from tests.visits.record_form import (
    client_for,
    full_record_data,
    kickoff_of,
    record_data,
    record_url,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False)


# --- Access -----------------------------------------------------------------------------


def test_record_form_opens_for_owner_and_colleague(
    project: Project, owner: User, colleague: User
) -> None:
    url = record_url(kickoff_of(project))

    assert (client_for(owner).get(url).status_code, client_for(colleague).get(url).status_code) == (
        200,
        200,
    )


def test_record_form_outsider_gets_404(project: Project, outsider: User) -> None:
    assert client_for(outsider).get(record_url(kickoff_of(project))).status_code == 404


def test_record_form_executive_is_forbidden(project: Project, executive: User) -> None:
    response = client_for(executive).post(record_url(kickoff_of(project)), record_data())

    assert response.status_code == 403
    assert VisitRecord.objects.count() == 0


def test_record_form_anonymous_redirects_to_login(project: Project) -> None:
    url = record_url(kickoff_of(project))

    response = Client().get(url)

    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


def test_record_form_shows_checklist_and_planned_percent(project: Project, colleague: User) -> None:
    response = client_for(colleague).get(record_url(kickoff_of(project)))

    html = response.content.decode()
    assert response.context["planned_percent"] == 27  # 49 of 182 days
    assert [field.label for field in response.context["forms"].record.checklist_fields()] == [
        "Project goals confirmed with the customer",
        "Project plan confirmed with the customer",
    ]
    assert "the plan expects 27 % complete" in html


def test_record_form_checklist_labels_follow_the_language(
    project: Project, colleague: User
) -> None:
    response = client_for(colleague, "zh-CN").get(record_url(kickoff_of(project)))

    labels = [field.label for field in response.context["forms"].record.checklist_fields()]
    assert labels[0] == "项目目标已与客户确认"


# --- Drafts -----------------------------------------------------------------------------


def test_record_form_saves_a_draft_with_all_sections(project: Project, colleague: User) -> None:
    visit = kickoff_of(project)

    response = client_for(colleague).post(record_url(visit), full_record_data(colleague))

    record = VisitRecord.objects.get(visit=visit)
    assert (response.status_code, response["Location"]) == (302, record_url(visit))
    assert (record.status, record.percent_complete, record.checklist) == (
        "draft",
        10,
        {"goals_confirmed": True, "plan_confirmed": False},
    )
    assert list(record.problems.values_list("category", "severity", "description")) == [
        ("schedule", "high", "Late test data")
    ]
    feedback = record.feedback.get()
    assert (
        feedback.overall_satisfaction,
        feedback.quality_satisfaction,
        feedback.likelihood_to_recommend,
        feedback.requirement_changes,
    ) == (4, 5, 9, "Add a mobile report")
    assert list(record.actions.values_list("description", "owner__username")) == [
        ("Agree a test data plan", "colleague")
    ]


def test_record_form_shows_the_draft_again(project: Project, colleague: User) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    client.post(record_url(visit), full_record_data(colleague))

    forms = client.get(record_url(visit)).context["forms"]

    assert forms.record["revision"].value() == 1
    assert forms.problems.forms[0]["description"].value() == "Late test data"
    assert forms.actions.forms[0]["description"].value() == "Agree a test data plan"
    assert forms.feedback["overall_satisfaction"].value() == 4


def test_record_form_without_feedback_keeps_none(project: Project, colleague: User) -> None:
    visit = kickoff_of(project)

    client_for(colleague).post(record_url(visit), record_data())

    assert VisitRecord.objects.get(visit=visit).feedback.count() == 0


def test_record_form_add_another_problem_keeps_input_without_saving(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)

    response = client_for(colleague).post(
        record_url(visit), full_record_data(colleague, intent="add_problem")
    )

    problems = response.context["forms"].problems
    assert (response.status_code, len(problems.forms)) == (200, 2)
    assert problems.forms[0]["description"].value() == "Late test data"
    assert VisitRecord.objects.count() == 0


# --- Validation -------------------------------------------------------------------------


def test_record_form_errors_are_shown_per_field_and_input_kept(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)

    response = client_for(colleague).post(
        record_url(visit),
        full_record_data(
            colleague,
            **{
                "record-percent_complete": "140",
                "problems-0-category": "",
                "actions-0-owner": "",
            },
        ),
    )

    forms = response.context["forms"]
    assert response.status_code == 200
    assert forms.record.errors["percent_complete"] == [
        "Ensure this value is less than or equal to 100."
    ]
    assert forms.problems.forms[0].errors == {"category": ["Choose a category."]}
    assert forms.actions.forms[0].errors == {"owner": ["Choose who carries the measure out."]}
    assert forms.record["work_completed"].value() == "Requirements signed off"
    assert "is-invalid" in forms.record.fields["percent_complete"].widget.attrs["class"]
    assert VisitRecord.objects.count() == 0


def test_record_form_action_owner_off_the_team_is_refused(
    project: Project, colleague: User, outsider: User
) -> None:
    response = client_for(colleague).post(
        record_url(kickoff_of(project)),
        full_record_data(colleague, **{"actions-0-owner": str(outsider.pk)}),
    )

    assert response.context["forms"].actions.forms[0].errors == {
        "owner": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_record_form_completed_in_the_future_is_refused(project: Project, colleague: User) -> None:
    response = client_for(colleague).post(
        record_url(kickoff_of(project)),
        full_record_data(colleague, intent="submit", **{"record-completed_on": "2026-04-21"}),
    )

    assert response.context["forms"].record.errors["completed_on"] == [
        "A visit cannot be completed on a future date."
    ]
    assert VisitRecord.objects.count() == 0


# --- Conflicts --------------------------------------------------------------------------


def test_record_form_stale_save_shows_conflict_and_keeps_input(
    project: Project, owner: User, colleague: User
) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    client.post(record_url(visit), full_record_data(colleague))  # revision 1
    client_for(owner).post(
        record_url(visit), full_record_data(colleague, **{"record-revision": "1"})
    )  # now 2

    response = client.post(
        record_url(visit),
        full_record_data(colleague, **{"record-revision": "1", "record-summary": "Mine"}),
    )

    forms = response.context["forms"]
    assert response.status_code == 409
    assert forms.record.non_field_errors()[0].startswith(
        "Someone else saved this record in the meantime."
    )
    assert (forms.record["summary"].value(), forms.record["revision"].value()) == ("Mine", "2")
    assert VisitRecord.objects.get(visit=visit).summary == "Good start"


def test_record_form_save_after_conflict_replaces_deliberately(
    project: Project, owner: User, colleague: User
) -> None:
    visit = kickoff_of(project)
    save_visit_record(
        visit=visit,
        recorded_by=owner,
        fields={"summary": "Theirs"},
        problems=[],
        feedback=None,
        actions=[],
    )

    response = client_for(colleague).post(
        record_url(visit), record_data(**{"record-revision": "1", "record-summary": "Mine"})
    )

    assert response.status_code == 302
    assert VisitRecord.objects.get(visit=visit).summary == "Mine"


def test_record_form_first_save_racing_another_is_a_conflict(
    project: Project, owner: User, colleague: User
) -> None:
    visit = kickoff_of(project)
    theirs = client_for(owner)
    mine = client_for(colleague)
    # Both open the form before the visit has a record.
    assert theirs.get(record_url(visit)).context["forms"].record["revision"].value() == 0
    assert mine.get(record_url(visit)).context["forms"].record["revision"].value() == 0
    theirs.post(record_url(visit), full_record_data(colleague, **{"record-summary": "Theirs"}))

    response = mine.post(
        record_url(visit), full_record_data(colleague, **{"record-summary": "Mine"})
    )

    forms = response.context["forms"]
    assert response.status_code == 409
    errors = forms.record.non_field_errors()
    assert errors[0].startswith("Someone else saved this record in the meantime.")
    assert errors[1] == "Saved now: Summary: “Theirs”."
    assert (forms.record["summary"].value(), forms.record["revision"].value()) == ("Mine", "1")
    record = VisitRecord.objects.get(visit=visit)
    assert (record.summary, record.revision) == ("Theirs", 1)
    assert [p.description for p in record.problems.all()] == ["Late test data"]


def test_record_form_post_without_revision_leaves_the_draft_alone(
    project: Project, owner: User, colleague: User
) -> None:
    visit = kickoff_of(project)
    client_for(owner).post(
        record_url(visit), full_record_data(colleague, **{"record-summary": "Theirs"})
    )
    data = full_record_data(colleague, **{"record-summary": "Mine"})
    del data["record-revision"]

    response = client_for(colleague).post(record_url(visit), data)

    forms = response.context["forms"]
    assert response.status_code == 409
    assert forms.record.non_field_errors()[0].startswith("This page is out of date")
    assert forms.record["summary"].value() == "Mine"
    assert VisitRecord.objects.get(visit=visit).summary == "Theirs"


# --- Submission and amendments ------------------------------------------------------------


def test_record_form_submit_archives_read_only_and_marks_visit_done(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)

    response = client.post(record_url(visit), full_record_data(colleague, intent="submit"))

    visit.refresh_from_db()
    record = VisitRecord.objects.get(visit=visit)
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("visits:detail", args=[visit.pk]),
    )
    assert (record.status, visit.status, visit.completed_on) == (
        "submitted",
        VisitStatus.DONE,
        datetime.date(2026, 4, 20),
    )
    again = client.get(record_url(visit))
    assert (again.status_code, again["Location"]) == (
        302,
        reverse("visits:detail", args=[visit.pk]),
    )
    detail = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert "Submitted · read-only" in detail
    assert "Late test data" in detail


def test_record_form_post_to_submitted_record_changes_nothing(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    client.post(record_url(visit), full_record_data(colleague, intent="submit"))

    client.post(record_url(visit), full_record_data(colleague, **{"record-summary": "Sneaky"}))

    assert VisitRecord.objects.get(visit=visit).summary == "Good start"


def test_record_form_submit_with_past_completion_date(project: Project, colleague: User) -> None:
    visit = kickoff_of(project)

    client_for(colleague).post(
        record_url(visit),
        full_record_data(colleague, intent="submit", **{"record-completed_on": "2026-03-08"}),
    )

    visit.refresh_from_db()
    assert (visit.completed_on, visit.on_time) == (datetime.date(2026, 3, 8), True)


def test_amend_record_keeps_reason_and_old_and_new_values(
    project: Project, owner: User, colleague: User
) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    client.post(record_url(visit), full_record_data(colleague, intent="submit"))
    url = reverse("visits:amend", args=[visit.pk])

    response = client.post(
        url,
        {
            "reason": "Typo in the percent",
            "work_completed": "Requirements signed off",
            "work_outstanding": "Data migration",
            "schedule_status": "on_track",
            "percent_complete": "15",
            "summary": "Good start",
            "check_goals_confirmed": "on",
            "version": form_version(client, url),
        },
    )

    amendment = RecordAmendment.objects.get()
    assert response.status_code == 302
    assert (amendment.reason, amendment.changes, amendment.amended_by) == (
        "Typo in the percent",
        {"percent_complete": {"old": 10, "new": 15}, "variance_days": {"old": -31, "new": -22}},
        colleague,
    )
    detail = client.get(reverse("visits:detail", args=[visit.pk]))
    rows = detail.context["amendments"]
    assert [(change["field"], change["old"], change["new"]) for change in rows[0]["changes"]] == [
        ("percent complete", "10", "15"),
        ("schedule variance (days)", "-31", "-22"),
    ]


def test_amend_record_without_reason_or_change_is_refused(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    client.post(record_url(visit), full_record_data(colleague, intent="submit"))
    url = reverse("visits:amend", args=[visit.pk])
    unchanged = {
        "work_completed": "Requirements signed off",
        "work_outstanding": "Data migration",
        "schedule_status": "on_track",
        "percent_complete": "10",
        "summary": "Good start",
        "check_goals_confirmed": "on",
        "version": form_version(client, url),
    }

    no_reason = client.post(url, {**unchanged, "reason": ""})
    no_change = client.post(url, {**unchanged, "reason": "Nothing"})

    assert no_reason.context["form"].errors == {"reason": ["This field is required."]}
    assert no_change.context["form"].non_field_errors() == ["The amendment changes nothing."]
    assert RecordAmendment.objects.count() == 0


def test_amend_record_of_a_draft_is_404_and_executive_403(
    project: Project, colleague: User, executive: User
) -> None:
    visit = kickoff_of(project)
    client_for(colleague).post(record_url(visit), record_data())
    url = reverse("visits:amend", args=[visit.pk])

    assert (
        client_for(colleague).get(url).status_code,
        client_for(executive).get(url).status_code,
    ) == (
        404,
        403,
    )


# --- Verifying earlier actions ----------------------------------------------------------


def _earlier_action(project: Project, owner: User, colleague: User) -> ImprovementAction:
    """An action raised at the kickoff (submitted) and since marked done."""
    kickoff = kickoff_of(project)
    record = save_visit_record(
        visit=kickoff,
        recorded_by=colleague,
        fields={"summary": "Kickoff"},
        problems=[],
        feedback=None,
        actions=[],
    )
    submit_visit_record(
        record=record, submitted_by=colleague, completed_on=datetime.date(2026, 3, 8)
    )
    action = create_action(
        project=project,
        description="Weekly status report",
        owner=colleague,
        due_date=datetime.date(2026, 4, 1),
        created_by=owner,
        record=record,
    )
    return mark_action_done(action=action, note="Sent every Friday")


def test_record_form_lists_earlier_actions_for_verification(
    project: Project, owner: User, colleague: User
) -> None:
    action = _earlier_action(project, owner, colleague)
    ongoing = project.visits.get(phase="ongoing", sequence=1)

    response = client_for(colleague).get(record_url(ongoing))

    forms = response.context["verifications"]
    assert [form.action for form in forms] == [action]
    assert [value for value, _ in forms[0].fields["result"].choices] == [
        "",
        "effective",
        "not_effective",
        "not_yet",
    ]


def test_record_form_verifies_earlier_action_effective_on_submit(
    project: Project, owner: User, colleague: User
) -> None:
    action = _earlier_action(project, owner, colleague)
    ongoing = project.visits.get(phase="ongoing", sequence=1)
    prefix = f"verify-{action.pk}"
    client = client_for(colleague)

    client.post(record_url(ongoing), record_data(**{f"{prefix}-result": "effective"}))
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE  # a draft's verdict waits for submission

    client.post(
        record_url(ongoing),
        record_data(revision=1, intent="submit", **{f"{prefix}-result": "effective"}),
    )

    action.refresh_from_db()
    assert (action.status, action.closed_on) == (
        ActionStatus.VERIFIED_EFFECTIVE,
        datetime.date(2026, 4, 20),
    )


def test_record_form_not_effective_needs_new_due_date(
    project: Project, owner: User, colleague: User
) -> None:
    action = _earlier_action(project, owner, colleague)
    ongoing = project.visits.get(phase="ongoing", sequence=1)
    prefix = f"verify-{action.pk}"
    client = client_for(colleague)

    missing = client.post(record_url(ongoing), record_data(**{f"{prefix}-result": "not_effective"}))
    client.post(
        record_url(ongoing),
        record_data(
            intent="submit",
            **{f"{prefix}-result": "not_effective", f"{prefix}-new_due_date": "2026-05-31"},
        ),
    )

    assert missing.context["verifications"][0].errors == {
        "new_due_date": ["An action found not effective needs a new due date."]
    }
    action.refresh_from_db()
    assert (action.status, action.due_date) == (
        ActionStatus.REOPENED,
        datetime.date(2026, 5, 31),
    )


def test_record_form_service_rule_is_shown_on_the_form(
    project: Project, owner: User, colleague: User
) -> None:
    action = _earlier_action(project, owner, colleague)
    ongoing = project.visits.get(phase="ongoing", sequence=1)
    prefix = f"verify-{action.pk}"

    response = client_for(colleague).post(
        record_url(ongoing),
        record_data(
            **{f"{prefix}-result": "not_effective", f"{prefix}-new_due_date": "2026-04-01"}
        ),
    )

    assert response.context["forms"].record.non_field_errors() == [
        "An action found not effective needs a new due date after 20 Apr 2026."
    ]
    assert Problem.objects.count() == 0
