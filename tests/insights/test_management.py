"""The management home where quality managers and executives land, and acknowledging
the policy in force: everyone may, a banner asks until they do, the dashboard shows
the rate per version."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from huifang.actions.models import ImprovementAction
from huifang.core.models import User
from huifang.insights.models import PolicyAcknowledgement
from huifang.policy.models import Policy, PolicyVersion
from huifang.projects.models import Project
from huifang.visits.models import Feedback, Visit
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 5, 10)


@pytest.fixture(autouse=True)
def _today() -> Any:
    at = datetime.datetime(2026, 5, 10, 9, tzinfo=datetime.UTC)
    with time_machine.travel(at, tick=False):
        yield


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _project(code: str, manager: User, policy: Policy, department: str) -> Project:
    return Project.objects.create(
        code=code,
        name=f"Project {code}",
        customer=CustomerFactory.create(),
        manager=manager,
        policy=policy,
        status="active",
        department=department,
        planned_start=datetime.date(2026, 1, 5),
        planned_end=datetime.date(2026, 12, 31),
    )


def _overdue_visits(project: Project, count: int) -> None:
    for day in range(count):
        due = TODAY - datetime.timedelta(days=3 + day)
        Visit.objects.create(
            project=project,
            phase="ongoing",
            is_adhoc=True,
            window_start=due - datetime.timedelta(days=7),
            due_date=due,
            status="planned",
            owner=project.manager,
        )


def _action(project: Project, *, due: datetime.date, origin: str = "visit") -> ImprovementAction:
    return ImprovementAction.objects.create(
        project=project,
        origin=origin,
        description=f"{origin} action of {project.code}",
        owner=project.manager,
        created_by=project.manager,
        due_date=due,
        status="open",
    )


def _feedback(project: Project, score: int, on: datetime.date) -> Feedback:
    return Feedback.objects.create(
        project=project,
        source="survey",
        overall_satisfaction=2 if score <= 6 else 5,
        likelihood_to_recommend=score,
        evaluation=f"Scored {score}",
        received_on=on,
    )


@pytest.fixture
def world(policy: Policy, owner: User, outsider_pm: User) -> dict[str, Project]:
    east = _project("E-1", owner, policy, "East")
    west = _project("W-1", outsider_pm, policy, "West")
    _overdue_visits(east, 1)
    _action(east, due=TODAY - datetime.timedelta(days=1))
    _overdue_visits(west, 3)
    _action(west, due=TODAY + datetime.timedelta(days=20), origin="review")
    _feedback(east, 3, TODAY - datetime.timedelta(days=2))
    _feedback(west, 10, TODAY - datetime.timedelta(days=1))
    return {"east": east, "west": west}


def test_quality_and_executive_land_on_the_management_home(
    world: Any, quality: User, executive: User, owner: User
) -> None:
    for user in (quality, executive):
        response = _client(user).get("/")
        assert (response.status_code, response["Location"]) == (302, "/insights/management/")
        assert _client(user).get("/?mine=1").status_code == 200
    assert _client(owner).get("/").status_code == 200


def test_management_home_is_for_those_who_see_everything(
    world: Any, owner: User, colleague: User
) -> None:
    for user in (owner, colleague):
        assert _client(user).get(reverse("insights:management")).status_code == 403


def test_management_home_shows_overdue_by_department_and_manager(
    world: Any, quality: User, owner: User, outsider_pm: User
) -> None:
    response = _client(quality).get(reverse("insights:management"))

    assert response.status_code == 200
    departments = [(r.label, r.visits, r.actions) for r in response.context["by_department"]]
    assert departments == [("West", 3, 0), ("East", 1, 1)]
    managers = [(r.key, r.visits, r.actions) for r in response.context["by_manager"]]
    assert managers == [(str(outsider_pm.pk), 3, 0), (str(owner.pk), 1, 1)]
    html = response.content.decode()
    assert '<a href="/projects/?department=West&amp;overdue=on">3</a>' in html
    assert '<a href="/actions/list/?department=East&amp;overdue=on">1</a>' in html


def test_management_home_lists_detractors_and_review_actions(world: Any, quality: User) -> None:
    response = _client(quality).get(reverse("insights:management"))

    assert [f.evaluation for f in response.context["detractors"]] == ["Scored 3"]
    assert [a.description for a in response.context["review_actions"]] == ["review action of W-1"]
    assert response.context["review_actions_total"] == 1


def test_management_home_compares_figures_with_the_policy_targets(
    world: Any, quality: User
) -> None:
    version = PolicyVersion.objects.published().get(policy=world["east"].policy)
    response = _client(quality).get(reverse("insights:management"))

    rows = {row.name: row for row in response.context["targets"]}
    # Five visits due in the period, none done: 0 % on time, against the policy's 90 %.
    assert (rows["on_time_rate"].value, rows["on_time_rate"].met) == (0.0, False)
    assert rows["on_time_rate"].target == float(version.target_on_time_rate)
    # One detractor and one promoter: NPS 0, CSAT 50 %.
    assert (rows["nps"].value, rows["csat"].value) == (0.0, 50.0)
    assert (rows["closure_days"].value, rows["closure_days"].met) == (None, None)
    html = response.content.decode()
    assert 'data-testid="target-on_time_rate" data-met="no"' in html


def test_management_home_drill_down_lists_only_that_department(world: Any, quality: User) -> None:
    response = _client(quality).get(
        reverse("actions:list"), {"department": "East", "overdue": "on"}
    )

    assert [a.project.code for a in response.context["page"]] == ["E-1"]
    assert "Only: department East." in response.content.decode()


def test_management_home_queries_do_not_grow_with_projects(
    world: Any, quality: User, policy: Policy, owner: User
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert _client(quality).get(reverse("insights:management")).status_code == 200
        return len(queries)

    few = count()
    for index in range(4):
        project = _project(f"N-{index}", owner, policy, f"Dept {index}")
        _overdue_visits(project, 2)
        _action(project, due=TODAY - datetime.timedelta(days=5), origin="meeting")
        _feedback(project, 1, TODAY)
    assert count() == few


def test_executive_acknowledges_the_policy(policy: Policy, executive: User) -> None:
    version = PolicyVersion.objects.published().get(policy=policy)
    client = _client(executive)

    page = client.get(reverse("insights:acknowledge"))
    assert page.context["can_acknowledge"] is True
    assert client.post(reverse("insights:acknowledge")).status_code == 302

    assert PolicyAcknowledgement.objects.filter(user=executive, version=version).exists()


def test_banner_asks_until_the_policy_is_acknowledged(project: Project, colleague: User) -> None:
    client = _client(colleague)
    page = client.get(reverse("visits:list")).content.decode()
    assert 'data-testid="acknowledge-banner"' in page
    # Not on the page where one acknowledges.
    own = client.get(reverse("insights:acknowledge")).content.decode()
    assert 'data-testid="acknowledge-banner"' not in own

    client.post(reverse("insights:acknowledge"))

    assert (
        'data-testid="acknowledge-banner"'
        not in client.get(reverse("visits:list")).content.decode()
    )


def test_dashboard_shows_the_acknowledgement_rate_per_version(
    policy: Policy, owner: User, colleague: User, quality: User
) -> None:
    version = PolicyVersion.objects.published().get(policy=policy)
    PolicyAcknowledgement.objects.create(user=colleague, version=version)
    PolicyAcknowledgement.objects.create(user=owner, version=version)

    response = _client(quality).get(reverse("insights:dashboard"))

    (row,) = response.context["acknowledgements"]
    assert (row.version, row.acknowledged, row.staff) == (version, 2, 3)
    assert _client(owner).get(reverse("insights:dashboard")).context["acknowledgements"] == []
    assert timezone.localdate() == TODAY


def test_publishing_a_policy_version_asks_everyone_to_acknowledge_it(
    policy: Policy, owner: User, colleague: User, executive: User
) -> None:
    from huifang.notify.models import Kind, Notification
    from huifang.policy.services import create_policy_draft, publish_policy_revision

    executive.language = "zh-hans"
    executive.save()
    draft = create_policy_draft(policy=policy)
    published, _summary = publish_policy_revision(
        version=draft,
        effective_from=TODAY,
        change_note="Shorter windows",
        published_by=None,
        today=TODAY,
    )

    told = Notification.objects.filter(kind=Kind.POLICY_PUBLISHED)
    assert sorted(told.values_list("recipient__username", flat=True)) == sorted(
        ["owner", "colleague", "executive"]
    )
    inbox = _client(owner).get(reverse("notify:list")).content.decode()
    assert f"New follow-up policy: {published}" in inbox
    assert "Please read it and acknowledge it." in inbox
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(executive)
    assert f"新版回访制度：{published}" in chinese.get(reverse("notify:list")).content.decode()
