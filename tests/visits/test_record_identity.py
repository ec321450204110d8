"""Saving a draft keeps the identity of its rows: problems, feedback and verdicts are
updated in place, never deleted and created again, so a problem's id, status,
resolution and the actions linked to it survive a draft save (from the page or the
API). The ``project`` fixture is the one of test_record_form.py; today is 2026-04-20.
"""

from __future__ import annotations

import datetime
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from huifang.actions.models import ActionVerification
from huifang.actions.services import create_action, mark_action_done
from huifang.api.tokens import create_api_token
from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import Feedback, Problem, VisitRecord
from tests.visits.record_form import client_for, full_record_data, kickoff_of, record_url

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False)


def _saved_again(record: VisitRecord, colleague: User, **changes: Any) -> dict[str, Any]:
    """The form as the page shows the saved draft, posted back with ``changes``."""
    problem = record.problems.get()
    action = record.actions.get()
    return full_record_data(
        colleague,
        **{
            "record-revision": str(record.revision),
            "problems-0-id": str(problem.pk),
            "problems-0-status": problem.status,
            "problems-0-resolution": problem.resolution,
            "actions-0-id": str(action.pk),
            **changes,
        },
    )


def test_draft_save_keeps_problem_feedback_and_action_link(
    project: Project, colleague: User
) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    client.post(
        record_url(visit),
        full_record_data(colleague, **{"actions-0-description": "Plan test data"}),
    )
    record = VisitRecord.objects.get(visit=visit)
    problem, feedback = record.problems.get(), record.feedback.get()
    action = record.actions.get()
    Problem.objects.filter(pk=problem.pk).update(status="resolved", resolution="Data arrived")
    # The action answers the problem (as the API can link it).
    type(action).objects.filter(pk=action.pk).update(problem=problem)

    response = client.post(
        record_url(visit),
        _saved_again(record, colleague, **{"problems-0-description": "Late test data (fixed)"}),
    )

    record.refresh_from_db()
    kept = record.problems.get()
    action.refresh_from_db()
    assert response.status_code == 302
    assert (kept.pk, kept.description, kept.status, kept.resolution) == (
        problem.pk,
        "Late test data (fixed)",
        "resolved",
        "Data arrived",
    )
    assert record.feedback.get().pk == feedback.pk
    assert action.problem_id == problem.pk


def test_record_form_sets_problem_status_and_resolution(project: Project, colleague: User) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    client.post(record_url(visit), full_record_data(colleague))
    record = VisitRecord.objects.get(visit=visit)
    problem = record.problems.get()

    page = client.get(record_url(visit)).content.decode()
    client.post(
        record_url(visit),
        _saved_again(
            record,
            colleague,
            **{"problems-0-status": "resolved", "problems-0-resolution": "Test data delivered"},
        ),
    )

    problem.refresh_from_db()
    assert f'name="problems-0-id" value="{problem.pk}"' in page
    assert 'name="problems-0-status"' in page
    assert 'name="problems-0-resolution"' in page
    assert (problem.status, problem.resolution) == ("resolved", "Test data delivered")


def test_draft_save_removes_only_the_problem_left_out(project: Project, colleague: User) -> None:
    visit = kickoff_of(project)
    client = client_for(colleague)
    data = full_record_data(colleague, problems=2)
    data.update(
        {
            "problems-1-category": "quality",
            "problems-1-description": "Flaky build",
        }
    )
    client.post(record_url(visit), data)
    record = VisitRecord.objects.get(visit=visit)
    first, second = record.problems.order_by("pk")
    action = record.actions.get()

    again = full_record_data(
        colleague,
        **{
            "record-revision": str(record.revision),
            "problems-0-id": str(second.pk),
            "problems-0-category": "quality",
            "problems-0-description": "Flaky build",
            "actions-0-id": str(action.pk),
        },
    )
    client.post(record_url(visit), again)

    assert list(record.problems.values_list("pk", flat=True)) == [second.pk]
    assert not Problem.objects.filter(pk=first.pk).exists()


def test_draft_save_refuses_a_problem_of_another_record(project: Project, colleague: User) -> None:
    visits = list(project.visits.order_by("due_date", "pk")[:2])
    client = client_for(colleague)
    client.post(record_url(visits[0]), full_record_data(colleague))
    foreign = VisitRecord.objects.get(visit=visits[0]).problems.get()

    response = client.post(
        record_url(visits[1]), full_record_data(colleague, **{"problems-0-id": str(foreign.pk)})
    )

    assert response.status_code == 200
    assert "That problem was not raised in this record." in response.content.decode()
    assert not VisitRecord.objects.filter(visit=visits[1]).exists()
    assert Problem.objects.filter(pk=foreign.pk, record__visit=visits[0]).exists()


def test_draft_save_keeps_a_verdict_row(project: Project, owner: User, colleague: User) -> None:
    earlier = create_action(
        project=project,
        description="Weekly report",
        owner=colleague,
        due_date=datetime.date(2026, 4, 10),
        created_by=owner,
    )
    mark_action_done(action=earlier, note="Sent every Friday")
    visit = kickoff_of(project)
    client = client_for(colleague)
    verdict = {f"verify-{earlier.pk}-result": "effective", f"verify-{earlier.pk}-note": "Good"}
    client.post(record_url(visit), full_record_data(colleague, **verdict))
    record = VisitRecord.objects.get(visit=visit)
    row = ActionVerification.objects.get(record=record)

    client.post(
        record_url(visit),
        _saved_again(record, colleague, **{**verdict, f"verify-{earlier.pk}-note": "Very good"}),
    )

    kept = ActionVerification.objects.get(record=record)
    assert (kept.pk, kept.note) == (row.pk, "Very good")


def test_api_updates_a_problem_in_place_by_id(
    project: Project, owner: User, colleague: User, client: Any
) -> None:
    visit = kickoff_of(project)
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {create_api_token(user=colleague, name='t').raw}",
        "HTTP_ACCEPT_LANGUAGE": "en",
    }
    url = f"/api/v1/visits/{visit.pk}/record"
    problem = {"category": "schedule", "description": "Late test data"}
    first = client.put(
        url, json.dumps({"problems": [problem]}), content_type="application/json", **headers
    ).json()
    problem_id = first["problems"][0]["id"]
    body = {
        "revision": first["revision"],
        "problems": [{**problem, "id": problem_id, "status": "resolved", "resolution": "Done"}],
    }

    second = client.put(url, json.dumps(body), content_type="application/json", **headers).json()

    assert [(p["id"], p["status"], p["resolution"]) for p in second["problems"]] == [
        (problem_id, "resolved", "Done")
    ]
    assert Feedback.objects.count() == 0
