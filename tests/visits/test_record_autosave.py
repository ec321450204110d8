"""The record form's background save (intent ``autosave``): JSON with the new
revision and the ids of new rows; a stale revision is a 409 that saves nothing.
Browser tests of the script: tests/e2e/test_record_autosave.py. Today is 2026-04-20.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import VisitRecord
from huifang.visits.recording import submit_visit_record
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


def _autosave(**changes: Any) -> dict[str, Any]:
    return {**changes, "intent": "autosave"}


def test_autosave_stores_the_draft_and_hands_back_revision_and_row_ids(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)

    response = client_for(colleague).post(
        record_url(visit), _autosave(**full_record_data(colleague))
    )

    record = VisitRecord.objects.get(visit=visit)
    body = response.json()
    assert (response.status_code, body["saved"], body["revision"]) == (200, True, record.revision)
    assert body["problems"] == {"0": record.problems.get().pk}
    assert body["actions"] == {"0": record.actions.get().pk}
    assert body["message"] == "Draft saved automatically at 10:00."


def test_autosave_twice_with_the_ids_it_returned_adds_no_rows(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    first = client.post(record_url(visit), _autosave(**full_record_data(colleague))).json()

    second = client.post(
        record_url(visit),
        _autosave(
            **full_record_data(
                colleague,
                **{
                    "record-revision": str(first["revision"]),
                    "problems-0-id": str(first["problems"]["0"]),
                    "actions-0-id": str(first["actions"]["0"]),
                    "record-summary": "Typed a little more",
                },
            )
        ),
    )

    record = VisitRecord.objects.get(visit=visit)
    assert (second.status_code, record.summary) == (200, "Typed a little more")
    assert list(record.problems.values_list("pk", flat=True)) == [first["problems"]["0"]]
    assert list(record.actions.values_list("pk", flat=True)) == [first["actions"]["0"]]


def test_stale_autosave_gets_409_and_leaves_the_other_draft(
    project: Project, owner: User, colleague: User
) -> None:
    visit = kickoff_of(project)
    client_for(owner).post(record_url(visit), record_data(**{"record-summary": "Owner's draft"}))

    # The colleague's page was opened before the owner saved: revision 0.
    response = client_for(colleague).post(
        record_url(visit), _autosave(**record_data(**{"record-summary": "Colleague's text"}))
    )

    assert response.status_code == 409
    assert response.json()["conflict"] is True
    assert "Someone else saved this record in the meantime" in response.json()["message"]
    assert VisitRecord.objects.get(visit=visit).summary == "Owner's draft"


def test_autosave_of_an_invalid_form_saves_nothing_and_names_the_field(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)

    response = client_for(colleague).post(
        record_url(visit), _autosave(**record_data(**{"record-percent_complete": "140"}))
    )

    assert response.status_code == 400
    assert response.json()["message"] == (
        "Not saved automatically: check Percent complete. What you typed is still here."
    )
    assert not VisitRecord.objects.filter(visit=visit).exists()


def test_autosave_of_a_submitted_record_gets_409_json(project: Project, colleague: User) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    client.post(record_url(visit), record_data())
    record = VisitRecord.objects.get(visit=visit)
    submit_visit_record(record=record, submitted_by=colleague)

    response = client.post(record_url(visit), _autosave(**record_data(**{"record-revision": "1"})))

    assert (response.status_code, response.json()["message"]) == (
        409,
        "This record is submitted and read-only.",
    )


def test_autosave_message_follows_the_language(project: Project, colleague: User) -> None:
    response = client_for(colleague, "zh-CN").post(
        record_url(kickoff_of(project)), _autosave(**full_record_data(colleague))
    )

    assert response.json()["message"] == "草稿已于 10:00 自动保存。"


def test_record_form_loads_the_autosave_script(project: Project, colleague: User) -> None:
    html = client_for(colleague).get(record_url(kickoff_of(project))).content.decode()

    assert 'src="/static/huifang/record-autosave.js"' in html
    assert 'id="autosave-status"' in html
