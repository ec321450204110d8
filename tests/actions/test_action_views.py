"""The improvement action pages: board, list, detail, progress and done.

The ``project`` fixture (P-001) is managed by ``owner`` with ``colleague`` on the team;
actions are owned by ``colleague``. Today is 2026-04-20."""

from __future__ import annotations

import datetime
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huifang.actions.models import ActionStatus, ImprovementAction
from huifang.actions.services import (
    create_action,
    mark_action_done,
    update_action_progress,
    verify_action,
)
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.visits.models import VisitRecord
from huifang.visits.recording import save_visit_record
from tests.factories import make_project

TODAY = datetime.date(2026, 4, 20)


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(
        datetime.datetime(2026, 4, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    )


def client_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _action(project: Project, owner: User, **kwargs: Any) -> ImprovementAction:
    return create_action(
        project=project,
        description=kwargs.pop("description", "Send weekly status reports"),
        owner=owner,
        due_date=kwargs.pop("due_date", datetime.date(2026, 4, 30)),
        created_by=project.manager,
        **kwargs,
    )


def _record(project: Project, user: User) -> VisitRecord:
    return save_visit_record(
        visit=project.visits.get(phase="kickoff"),
        recorded_by=user,
        fields={"work_completed": "Design signed off"},
        problems=[],
        feedback=None,
        actions=[],
    )


@pytest.fixture
def action(project: Project, colleague: User) -> ImprovementAction:
    return _action(project, colleague)


def texts(content: bytes, testid: str) -> list[str]:
    """The visible text of each element marked ``data-testid=testid``."""
    html = content.decode()
    found = re.findall(rf'<(\w+)[^>]*data-testid="{testid}"[^>]*>(.*?)</\1>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", inner).split()) for _tag, inner in found]


def _progress(revision: int, note: str = "Two reports sent", status: str = "in_progress") -> dict:
    return {"progress-note": note, "progress-status": status, "progress-revision": revision}


def _done(revision: int, note: str = "Reports sent every Friday", done_on: str = "") -> dict:
    return {"done-note": note, "done-done_on": done_on, "done-revision": revision}


# --- Access -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["actions:board", "actions:list"])
def test_action_pages_ask_anonymous_users_to_log_in(db: None, name: str) -> None:
    from django.urls import reverse

    url = reverse(name)
    response = Client().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


def test_action_detail_asks_anonymous_users_to_log_in(action: ImprovementAction) -> None:
    response = Client().get(f"/actions/{action.pk}/")
    assert response["Location"] == f"/login/?next=/actions/{action.pk}/"


@pytest.mark.parametrize(
    "url", ["/actions/{pk}/", "/actions/{pk}/progress/", "/actions/{pk}/done/"]
)
def test_action_pages_hide_the_action_from_an_outsider(
    action: ImprovementAction, outsider: User, url: str
) -> None:
    client = client_for(outsider)
    assert client.get(url.format(pk=action.pk)).status_code == 404
    if url != "/actions/{pk}/":
        assert client.post(url.format(pk=action.pk), _progress(1)).status_code == 404


def test_action_board_and_list_show_an_outsider_nothing(
    action: ImprovementAction, outsider: User
) -> None:
    client = client_for(outsider)
    assert texts(client.get("/actions/").content, "action-card") == []
    assert texts(client.get("/actions/list/").content, "action-row") == []


@pytest.mark.parametrize("fixture", ["owner", "colleague", "quality", "executive"])
def test_action_detail_opens_for_those_who_see_the_project(
    action: ImprovementAction, fixture: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(fixture)
    response = client_for(user).get(f"/actions/{action.pk}/")
    assert response.status_code == 200
    assert texts(response.content, "action-status") == ["Open"]
    can_change = fixture != "executive"
    assert (b'data-testid="progress-form"' in response.content) is can_change


@pytest.mark.parametrize("url", ["/actions/{pk}/progress/", "/actions/{pk}/done/"])
def test_action_changes_are_forbidden_to_the_executive(
    action: ImprovementAction, executive: User, url: str
) -> None:
    response = client_for(executive).post(url.format(pk=action.pk), _done(1) | _progress(1))
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_action_owned_by_someone_else_is_forbidden_to_a_member(
    project: Project, owner: User, colleague: User
) -> None:
    theirs = _action(project, owner)
    response = client_for(colleague).post(f"/actions/{theirs.pk}/progress/", _progress(1))
    assert response.status_code == 403


# --- Progress and done ------------------------------------------------------------------


def test_action_progress_saves_note_and_status(action: ImprovementAction, colleague: User) -> None:
    client = client_for(colleague)
    response = client.post(f"/actions/{action.pk}/progress/", _progress(1))
    assert (response.status_code, response["Location"]) == (302, f"/actions/{action.pk}/")
    action.refresh_from_db()
    assert (action.status, action.progress_note, action.revision) == (
        ActionStatus.IN_PROGRESS,
        "Two reports sent",
        2,
    )
    page = client.get(f"/actions/{action.pk}/").content
    assert texts(page, "progress-note") == ["Two reports sent"]
    assert b"Progress saved." in page


def test_action_progress_by_the_project_manager(action: ImprovementAction, owner: User) -> None:
    response = client_for(owner).post(f"/actions/{action.pk}/progress/", _progress(1))
    assert response.status_code == 302


def test_action_progress_without_note_shows_error_and_keeps_status(
    action: ImprovementAction, colleague: User
) -> None:
    response = client_for(colleague).post(
        f"/actions/{action.pk}/progress/", _progress(1, note="", status="open")
    )
    assert response.status_code == 200
    assert response.context["progress_form"].errors == {"note": ["This field is required."]}
    assert b'<option value="open" selected>' in response.content
    action.refresh_from_db()
    assert action.revision == 1


def test_action_progress_on_a_stale_page_is_a_conflict_and_keeps_input(
    action: ImprovementAction, owner: User, colleague: User
) -> None:
    update_action_progress(action=action, note="Started by the manager", expected_revision=1)
    response = client_for(colleague).post(
        f"/actions/{action.pk}/progress/", _progress(1, note="My own note")
    )
    assert response.status_code == 409
    assert response.context["progress_form"].non_field_errors() == [
        "Someone else changed this action in the meantime. Reload it and try again."
    ]
    assert b"My own note</textarea>" in response.content
    action.refresh_from_db()
    assert action.progress_note == "Started by the manager"


def test_action_done_records_note_and_date(action: ImprovementAction, colleague: User) -> None:
    client = client_for(colleague)
    response = client.post(f"/actions/{action.pk}/done/", _done(1, done_on="2026-04-18"))
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.done_note, action.done_on) == (
        ActionStatus.DONE,
        "Reports sent every Friday",
        datetime.date(2026, 4, 18),
    )
    page = client.get(f"/actions/{action.pk}/").content
    assert texts(page, "action-status") == ["Done, awaiting verification"]
    assert b'data-testid="done-form"' not in page


def test_action_done_defaults_to_today(action: ImprovementAction, colleague: User) -> None:
    client_for(colleague).post(f"/actions/{action.pk}/done/", _done(1))
    action.refresh_from_db()
    assert action.done_on == TODAY


def test_action_done_in_the_future_is_refused_with_input_kept(
    action: ImprovementAction, colleague: User
) -> None:
    response = client_for(colleague).post(
        f"/actions/{action.pk}/done/", _done(1, done_on="2026-05-01")
    )
    assert response.status_code == 200
    assert response.context["done_form"].non_field_errors() == [
        "An action cannot be done on a future date."
    ]
    assert b"Reports sent every Friday</textarea>" in response.content


def test_action_done_on_a_stale_page_is_a_conflict(
    action: ImprovementAction, colleague: User
) -> None:
    update_action_progress(action=action, note="Changed meanwhile")
    response = client_for(colleague).post(f"/actions/{action.pk}/done/", _done(1))
    assert response.status_code == 409
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS


def test_action_already_done_cannot_be_done_again(
    action: ImprovementAction, colleague: User
) -> None:
    mark_action_done(action=action, note="Done")
    response = client_for(colleague).post(f"/actions/{action.pk}/done/", _done(action.revision))
    assert response.context["done_form"].non_field_errors() == [
        "This cannot be done while the action is “Done, awaiting verification”."
    ]


# --- Detail -----------------------------------------------------------------------------


def test_action_detail_shows_its_origin_visit(
    project: Project, colleague: User, owner: User
) -> None:
    record = _record(project, colleague)
    action = _action(project, colleague, record=record)
    response = client_for(owner).get(f"/actions/{action.pk}/")
    assert texts(response.content, "action-origin") == ["Visit · Kickoff · 9 Mar 2026"]
    assert texts(response.content, "verification-row") == []


# --- Board and list ---------------------------------------------------------------------


def test_action_board_puts_cards_in_their_status_columns(
    project: Project, colleague: User, owner: User
) -> None:
    _action(project, colleague, description="Open one")
    started = _action(project, colleague, description="Started one")
    update_action_progress(action=started, note="Begun")
    finished = _action(project, owner, description="Finished one")
    mark_action_done(action=finished, note="Done")
    response = client_for(owner).get("/actions/")
    board = response.content.decode()

    def column(status: str) -> list[str]:
        start = board.index(f'data-testid="column-{status}"')
        end = board.index("</section>", start)
        return [text.split(" P-001")[0] for text in texts(board[start:end].encode(), "action-card")]

    assert column("open") == ["Open one"]
    assert column("in_progress") == ["Started one"]
    assert column("done") == ["Finished one"]
    assert column("verified_effective") == []
    assert column("reopened") == []


def test_action_list_filters_overdue_mine_and_status(
    project: Project, colleague: User, owner: User
) -> None:
    _action(project, colleague, description="Late", due_date=datetime.date(2026, 4, 1))
    _action(project, colleague, description="On time")
    _action(project, owner, description="Manager one")
    client = client_for(colleague)

    def rows(query: str) -> list[str]:
        content = client.get(f"/actions/list/?{query}").content
        return [row.split(" P-001")[0] for row in texts(content, "action-row")]

    assert rows("") == ["Late", "On time", "Manager one"]
    assert rows("overdue=on") == ["Late"]
    assert rows("mine=on&sort=-due") == ["On time", "Late"]
    assert rows("status=done") == []
    assert rows(f"owner={owner.pk}") == ["Manager one"]
    assert rows("due_from=2026-04-10&due_to=2026-04-30") == ["On time", "Manager one"]
    assert rows("q=manager o") == ["Manager one"]


def test_action_list_reports_an_inverted_due_range(action: ImprovementAction, owner: User) -> None:
    response = client_for(owner).get("/actions/list/?due_from=2026-05-01&due_to=2026-04-01")
    assert response.context["form"].errors == {
        "due_to": ["The end of the range comes before its start."]
    }


def _more_projects(policy: Policy, manager: User, count: int) -> None:
    for number in range(count):
        member = User.objects.create_user(username=f"member{number}", role="member")
        created = make_project(
            code=f"P-X{number}",
            name=f"Extra {number}",
            manager=manager,
            policy=policy,
            members=[member],
        )
        for status_step in range(3):
            added = _action(created, member, description=f"Extra {number}.{status_step}")
            if status_step == 1:
                update_action_progress(action=added, note="Begun")
            if status_step == 2:
                mark_action_done(action=added, note="Done")


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/actions/", "/actions/list/", "/actions/list/?overdue=on"])
def test_action_lists_query_count_does_not_grow_with_rows(
    action: ImprovementAction, policy: Policy, owner: User, url: str
) -> None:
    client = client_for(owner)
    one = _queries(client, url)
    _more_projects(policy, owner, 4)
    assert _queries(client, url) == one


def test_action_list_paginates(project: Project, colleague: User, owner: User) -> None:
    for number in range(3):
        _action(project, colleague, description=f"Action {number}")
    response = client_for(owner).get("/actions/list/?per_page=2&page=2")
    assert [row.split(" P-001")[0] for row in texts(response.content, "action-row")] == ["Action 2"]


def _record_of(project: Project, sequence: int, user: User) -> VisitRecord:
    return save_visit_record(
        visit=project.visits.get(phase="ongoing", sequence=sequence),
        recorded_by=user,
        fields={"work_completed": f"Step {sequence}"},
        problems=[],
        feedback=None,
        actions=[],
    )


def test_action_detail_lists_verifications_in_a_bounded_number_of_queries(
    project: Project, action: ImprovementAction, owner: User
) -> None:
    client = client_for(owner)
    verify_action(
        action=action, record=_record_of(project, 1, owner), result="not_yet", verified_by=owner
    )
    one = _queries(client, f"/actions/{action.pk}/")
    for sequence in (2, 3):
        action.refresh_from_db()
        verify_action(
            action=action,
            record=_record_of(project, sequence, owner),
            result="not_yet",
            verified_by=owner,
            note=f"Check {sequence}",
        )
    assert _queries(client, f"/actions/{action.pk}/") == one
    content = client.get(f"/actions/{action.pk}/").content
    assert [row.split(" ", 3)[3] for row in texts(content, "verification-row")] == [
        "Ongoing #1 · 9 Apr 2026 Not yet verifiable — owner",
        "Ongoing #2 · 9 May 2026 Not yet verifiable Check 2 owner",
        "Ongoing #3 · 9 Jun 2026 Not yet verifiable Check 3 owner",
    ]
