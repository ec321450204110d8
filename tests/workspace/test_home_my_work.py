"""The home page's "my work" beyond visits due: visits to schedule, my improvement
actions, actions awaiting verification and recent records.

The ``project`` fixture (P-001, managed by ``owner``, ``colleague`` on the team) is
looked at on 2026-04-20: its kickoff (due 03-09) is recorded and submitted, ongoing #1
(due 04-09) is 11 days late and ongoing #2 (window 04-10, due 05-09) is open for
scheduling. ``colleague`` owns two open actions (one 10 days late); ``owner`` owns a
done one that waits for the next visit (ongoing #1) to verify it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huifang.actions.models import ImprovementAction
from huifang.actions.services import create_action, mark_action_done, update_action_progress
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.visits.models import Visit
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.factories import make_project

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOOK_DAY = datetime.datetime(2026, 4, 20, 9, 30, tzinfo=SHANGHAI)


def client_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def rows(content: bytes, testid: str) -> list[str]:
    html = content.decode()
    found = re.findall(rf'<tr[^>]*data-testid="{testid}"[^>]*>(.*?)</tr>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in found]


def links(content: bytes, testid: str) -> list[str]:
    html = content.decode()
    found = re.findall(rf'<tr[^>]*data-testid="{testid}"[^>]*>(.*?)</tr>', html, flags=re.S)
    return [re.findall(r'href="([^"]+)"', row)[-1] for row in found]


def _submit_kickoff(project: Project, user: User) -> None:
    record = save_visit_record(
        visit=project.visits.get(phase="kickoff"),
        recorded_by=user,
        fields={"work_completed": "Design signed off", "summary": "Good start"},
        problems=[],
        feedback=None,
        actions=[],
    )
    submit_visit_record(record=record, submitted_by=user, completed_on=datetime.date(2026, 3, 9))


def _work(project: Project, owner: User, member: User) -> dict[str, ImprovementAction]:
    late = create_action(
        project=project,
        description="Fix the login page",
        owner=member,
        due_date=datetime.date(2026, 4, 10),
        created_by=owner,
    )
    started = create_action(
        project=project,
        description="Send weekly reports",
        owner=member,
        due_date=datetime.date(2026, 4, 30),
        created_by=owner,
    )
    update_action_progress(action=started, note="Two sent")
    done = create_action(
        project=project,
        description="Train the key users",
        owner=owner,
        due_date=datetime.date(2026, 4, 15),
        created_by=owner,
    )
    mark_action_done(action=done, note="Two sessions held", done_on=datetime.date(2026, 4, 14))
    return {"late": late, "started": started, "done": done}


@pytest.fixture
def work(project: Project, owner: User, colleague: User) -> Iterator[dict[str, ImprovementAction]]:
    with time_machine.travel(LOOK_DAY, tick=False):
        _submit_kickoff(project, colleague)
        yield _work(project, owner, colleague)


def _visit(project: Project, sequence: int) -> Visit:
    return project.visits.get(phase="ongoing", sequence=sequence)


def test_home_lists_visits_the_manager_should_schedule(
    project: Project, owner: User, work: dict[str, ImprovementAction]
) -> None:
    content = client_for(owner).get("/").content
    assert rows(content, "schedule-row") == [
        "10 Mar 2026 – 9 Apr 2026 Ongoing #1 P-001 ERP rollout owner Schedule",
        "10 Apr 2026 – 9 May 2026 Ongoing #2 P-001 ERP rollout owner Schedule",
    ]
    assert links(content, "schedule-row") == [
        f"/visits/{_visit(project, 1).pk}/schedule/",
        f"/visits/{_visit(project, 2).pk}/schedule/",
    ]


def test_home_lists_visits_to_schedule_owned_by_a_member(
    project: Project, colleague: User, work: dict[str, ImprovementAction]
) -> None:
    assert rows(client_for(colleague).get("/").content, "schedule-row") == []
    Visit.objects.filter(pk=_visit(project, 2).pk).update(owner=colleague)
    assert rows(client_for(colleague).get("/").content, "schedule-row") == [
        "10 Apr 2026 – 9 May 2026 Ongoing #2 P-001 ERP rollout colleague Schedule"
    ]


def test_home_lists_my_open_actions_with_how_late(
    colleague: User, work: dict[str, ImprovementAction]
) -> None:
    content = client_for(colleague).get("/").content
    assert rows(content, "my-action-row") == [
        "10 Apr 2026 10 days late Fix the login page P-001 ERP rollout Open",
        "30 Apr 2026 Send weekly reports P-001 ERP rollout In progress",
    ]
    assert links(content, "my-action-row") == [
        f"/actions/{work['late'].pk}/",
        f"/actions/{work['started'].pk}/",
    ]


def test_home_lists_done_actions_to_verify_at_the_next_visit(
    project: Project, owner: User, colleague: User, work: dict[str, ImprovementAction]
) -> None:
    for user in (owner, colleague):
        content = client_for(user).get("/").content
        assert rows(content, "verify-row") == [
            "14 Apr 2026 Train the key users P-001 ERP rollout owner Verify at the next visit"
        ]
        assert links(content, "verify-row") == [f"/visits/{_visit(project, 1).pk}/record/"]


def test_home_action_to_verify_without_an_open_visit_links_to_the_project(
    project: Project, owner: User, work: dict[str, ImprovementAction]
) -> None:
    Visit.objects.filter(project=project, status="planned").update(status="cancelled")
    content = client_for(owner).get("/").content
    assert links(content, "verify-row") == [f"/projects/{project.pk}/"]


def test_home_lists_recent_records(
    project: Project, owner: User, work: dict[str, ImprovementAction]
) -> None:
    content = client_for(owner).get("/").content
    assert rows(content, "record-row") == ["20 Apr 2026 Kickoff P-001 ERP rollout colleague"]
    assert links(content, "record-row") == [f"/visits/{_visit_pk(project)}/"]


def _visit_pk(project: Project) -> int:
    return project.visits.get(phase="kickoff").pk


@pytest.mark.parametrize("fixture", ["outsider", "outsider_pm"])
def test_home_of_an_outsider_shows_none_of_the_projects_work(
    fixture: str, request: pytest.FixtureRequest, work: dict[str, ImprovementAction]
) -> None:
    user = request.getfixturevalue(fixture)
    content = client_for(user).get("/").content
    for testid in ("schedule-row", "my-action-row", "verify-row", "record-row"):
        assert rows(content, testid) == []


def test_home_of_quality_shows_records_but_verifies_only_own_projects(
    quality: User, work: dict[str, ImprovementAction]
) -> None:
    content = client_for(quality).get("/?mine=1").content
    assert len(rows(content, "record-row")) == 1
    assert rows(content, "verify-row") == []
    assert rows(content, "my-action-row") == []


def test_home_leaves_out_actions_verified_or_of_others(
    owner: User, work: dict[str, ImprovementAction]
) -> None:
    content = client_for(owner).get("/").content
    assert rows(content, "my-action-row") == []


def _more_projects(policy: Policy, owner: User, member: User, count: int) -> None:
    for number in range(count):
        extra = make_project(
            code=f"P-X{number}",
            name=f"Extra {number}",
            manager=owner,
            policy=policy,
            members=[member],
        )
        _submit_kickoff(extra, member)
        _work(extra, owner, member)


@pytest.mark.parametrize("fixture", ["owner", "colleague"])
def test_home_query_count_is_the_same_for_1_and_5_projects(
    policy: Policy,
    owner: User,
    colleague: User,
    work: dict[str, ImprovementAction],
    fixture: str,
    request: pytest.FixtureRequest,
) -> None:
    user = request.getfixturevalue(fixture)
    client = client_for(user)
    with time_machine.travel(LOOK_DAY, tick=False):

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/").status_code == 200
            return len(queries)

        one = count()
        _more_projects(policy, owner, colleague, 4)
        assert count() == one
        content = client.get("/").content
    assert len(rows(content, "verify-row")) == 5
    assert len(rows(content, "record-row")) == 5


def test_home_overdue_visit_links_to_its_record_form_and_due_soon_to_the_visit(
    project: Project, owner: User, work: dict[str, ImprovementAction]
) -> None:
    Visit.objects.filter(pk=_visit(project, 2).pk).update(due_date=datetime.date(2026, 4, 25))
    content = client_for(owner).get("/").content.decode()
    found = re.findall(r'<a href="([^"]+)" data-testid="visit-link">', content)
    assert found == [
        f"/visits/{_visit(project, 1).pk}/record/",
        f"/visits/{_visit(project, 2).pk}/",
    ]


def cards(content: bytes, testid: str) -> list[tuple[str, str]]:
    """Each phone card of a list: its text and the href of its button."""
    html = content.decode()
    found = re.findall(rf'<li[^>]*data-testid="{testid}-card"[^>]*>(.*?)</li>', html, flags=re.S)
    return [
        (
            " ".join(re.sub(r"<[^>]+>", " ", card).split()),
            re.findall(r'href="([^"]+)" data-testid="card-button"', card)[0],
        )
        for card in found
    ]


def test_home_phone_cards_show_the_same_rows_as_the_tables(
    project: Project, owner: User, work: dict[str, ImprovementAction]
) -> None:
    with time_machine.travel(LOOK_DAY, tick=False):
        content = client_for(owner).get("/").content
    late = _visit(project, 1)
    # The name, the state, the project, the due date and how late, the owner, one button.
    assert cards(content, "visit")[0] == (
        "Ongoing #1 Planned P-001 ERP rollout Due 9 Apr 2026 11 days late · owner Record the visit",
        f"/visits/{late.pk}/record/",
    )
    for testid, table in [("schedule", "schedule-row"), ("verify", "verify-row")]:
        assert len(cards(content, testid)) == len(rows(content, table))
    assert [href for _, href in cards(content, "verify")] == links(content, "verify-row")


def test_home_phone_card_of_an_executive_opens_the_visit_rather_than_its_record_form(
    project: Project, executive: User, work: dict[str, ImprovementAction]
) -> None:
    with time_machine.travel(LOOK_DAY, tick=False):
        content = client_for(executive).get("/?mine=1").content
    late = _visit(project, 1)
    assert (f"/visits/{late.pk}/") in [href for _, href in cards(content, "visit")]
    assert f"/visits/{late.pk}/record/" not in [href for _, href in cards(content, "visit")]
