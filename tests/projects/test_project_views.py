"""The project pages: list, create, edit (with the re-planned schedule shown), the
status buttons and the project page.

Everything is looked at on 2026-03-28. The ``project`` fixture (P-001, managed by
``owner``, ``colleague`` on the team) starts 2026-03-02 and ends 2026-08-31, so on
that day its kickoff visit (due 2026-03-09) is overdue and the rest are still open.
"""

from __future__ import annotations

import datetime
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huifang.actions.models import ImprovementAction
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.projects.services import create_project
from huifang.visits.models import Feedback, Problem, Visit, VisitStatus
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.factories import ContactFactory, CustomerFactory, UserFactory
from tests.pages import form_version

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 3, 28)


@pytest.fixture(autouse=True)
def _on_look_day(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 3, 28, 9, 30, tzinfo=SHANGHAI), tick=False)


def client_for(user: User | None, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def text(content: bytes) -> str:
    """The page's text, tags removed and whitespace collapsed: what a reader sees."""
    stripped = re.sub(r"<[^>]+>", " ", content.decode())
    return re.sub(r"\s+", " ", stripped).strip()


def make_project(policy: Policy, manager: User, code: str, **fields: Any) -> Project:
    values: dict[str, Any] = {
        "name": f"Project {code}",
        "customer": CustomerFactory.create(),
        "status": "active",
        "cadence": "monthly",
        "planned_start": datetime.date(2026, 3, 2),
        "planned_end": datetime.date(2026, 8, 31),
        "policy": policy,
    }
    values.update(fields)
    created, _result = create_project(code=code, manager=manager, today=TODAY, **values)
    return created


def form_data(project: Project, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": project.code,
        "name": project.name,
        "customer": project.customer_id,
        "manager": project.manager_id,
        "department": project.department,
        "description": project.description,
        "status": project.status,
        "cadence": project.cadence,
        "planned_start": project.planned_start.isoformat(),
        "planned_end": project.planned_end.isoformat() if project.planned_end else "",
        "actual_start": "",
        "actual_end": "",
        "policy": project.policy_id,
        "members": [m.user_id for m in project.memberships.all()],
    }
    data.update(changes)
    return data


# --- list -----------------------------------------------------------------------------


def test_project_list_anonymous_redirects_to_login(project: Project) -> None:
    response = client_for(None).get(reverse("projects:list"))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={reverse('projects:list')}"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 1), ("colleague", 1), ("outsider", 0), ("executive", 1), ("quality", 1)],
)
def test_project_list_shows_only_visible_projects(
    project: Project, who: str, expected: int, request: pytest.FixtureRequest
) -> None:
    response = client_for(request.getfixturevalue(who)).get(reverse("projects:list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == expected


def test_project_list_counts_open_and_overdue_visits(project: Project, owner: User) -> None:
    response = client_for(owner).get(reverse("projects:list"))
    row = response.context["page"].object_list[0]
    open_visits = Visit.objects.filter(project=project).open()
    assert row.open_visit_count == open_visits.count()
    assert row.overdue_visit_count == open_visits.filter(due_date__lt=TODAY).count() == 1


def test_project_list_filters_by_search_status_and_overdue(
    project: Project, policy: Policy, owner: User
) -> None:
    later = make_project(
        policy, owner, "P-002", name="Warehouse", planned_start=datetime.date(2026, 4, 6)
    )
    client = client_for(owner)
    url = reverse("projects:list")

    def codes(**params: Any) -> list[str]:
        response = client.get(url, params)
        assert response.context["form"].errors == {}
        return [p.code for p in response.context["page"].object_list]

    assert codes(q="warehouse") == ["P-002"]
    assert codes(q=project.customer.name) == ["P-001"]
    assert codes(overdue="on") == ["P-001"]
    assert codes(status="planned") == []
    assert codes(customer=later.customer_id) == ["P-002"]
    assert codes(manager=owner.pk, sort="code") == ["P-001", "P-002"]
    assert codes(sort="-code") == ["P-002", "P-001"]


def test_project_list_query_count_does_not_grow_with_rows(policy: Policy, owner: User) -> None:
    client = client_for(owner)
    make_project(policy, owner, "Q-1")
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("projects:list")).status_code == 200
    for n in range(2, 6):
        make_project(policy, owner, f"Q-{n}", department=f"Dept {n}")
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("projects:list"))
    assert len(response.context["page"].object_list) == 5
    assert len(five) == len(one)


def test_project_list_in_chinese(project: Project, owner: User) -> None:
    response = client_for(owner, "zh-hans").get(reverse("projects:list"))
    assert "项目" in text(response.content)
    assert "逾期" in text(response.content)


# --- detail ---------------------------------------------------------------------------


def test_project_detail_outsider_gets_404(project: Project, outsider: User) -> None:
    response = client_for(outsider).get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 404


def test_project_detail_anonymous_redirects_to_login(project: Project) -> None:
    url = reverse("projects:detail", args=[project.pk])
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize(
    ("who", "can_manage"), [("owner", True), ("colleague", False), ("executive", False)]
)
def test_project_detail_shows_plan_to_team_and_executives(
    project: Project, who: str, can_manage: bool, request: pytest.FixtureRequest
) -> None:
    response = client_for(request.getfixturevalue(who)).get(
        reverse("projects:detail", args=[project.pk])
    )
    assert response.status_code == 200
    visits = list(Visit.objects.filter(project=project).order_by("due_date", "pk"))
    assert [row["visit"] for row in response.context["timeline"]] == visits
    assert response.context["overdue_count"] == 1
    assert response.content.count(b'data-testid="overdue-badge"') == 1
    assert (b'data-testid="edit-project"' in response.content) is can_manage


def test_project_detail_shows_problems_actions_and_trend(
    project: Project, owner: User, colleague: User
) -> None:
    Problem.objects.create(project=project, category="quality", description="Reports are slow")
    ImprovementAction.objects.create(
        project=project,
        description="Add an index",
        owner=colleague,
        created_by=owner,
        due_date=datetime.date(2026, 3, 20),
    )
    Feedback.objects.create(project=project, overall_satisfaction=4, received_on=TODAY)
    response = client_for(owner).get(reverse("projects:detail", args=[project.pk]))
    page = text(response.content)
    assert "Reports are slow" in page
    assert "Add an index" in page
    assert response.context["actions"][0]["overdue"] is True
    assert response.context["trend"] == [{"date": "2026-03-28", "overall": 4, "source": "visit"}]
    assert b'<script id="trend-data" type="application/json">' in response.content
    assert b"projects/trend.js" in response.content


def _submit_record(visit: Visit, user: User, summary: str) -> None:
    record = save_visit_record(
        visit=visit,
        recorded_by=user,
        fields={"summary": summary, "work_completed": "Phase one"},
        problems=[],
        feedback=None,
        actions=[],
    )
    submit_visit_record(record=record, submitted_by=user, completed_on=TODAY)


def test_project_detail_lists_submitted_records_only(
    project: Project, owner: User, colleague: User
) -> None:
    kickoff, first = Visit.objects.filter(project=project).order_by("due_date")[:2]
    _submit_record(kickoff, colleague, "Kickoff went well")
    save_visit_record(
        visit=first,
        recorded_by=colleague,
        fields={"summary": "Draft only"},
        problems=[],
        feedback=None,
        actions=[],
    )
    response = client_for(owner).get(reverse("projects:detail", args=[project.pk]))
    assert [record.summary for record in response.context["records"]] == ["Kickoff went well"]
    assert "Draft only" not in text(response.content)
    assert response.context["overdue_count"] == 0


def _fill_project(project: Project, owner: User, colleague: User, n: int) -> None:
    for i in range(n):
        Problem.objects.create(project=project, category="quality", description=f"Problem {i}")
        ImprovementAction.objects.create(
            project=project,
            description=f"Action {i}",
            owner=colleague,
            created_by=owner,
            due_date=TODAY,
        )
        Feedback.objects.create(project=project, overall_satisfaction=3, received_on=TODAY)
        visit = Visit.objects.create(
            project=project,
            phase="ongoing",
            is_adhoc=True,
            window_start=TODAY,
            due_date=TODAY,
            owner=UserFactory.create(),
        )
        _submit_record(visit, owner, f"Record {i}")


def test_project_detail_query_count_does_not_grow_with_rows(
    project: Project, owner: User, colleague: User
) -> None:
    client = client_for(owner)
    url = reverse("projects:detail", args=[project.pk])
    _fill_project(project, owner, colleague, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _fill_project(project, owner, colleague, 4)
    project.memberships.create(user=UserFactory.create())
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert len(response.context["records"]) == 5
    assert len(five) == len(one)


# --- create ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["executive", "colleague"])
def test_project_create_refused_to_read_only_and_members(
    policy: Policy, who: str, request: pytest.FixtureRequest
) -> None:
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse("projects:create")).status_code == 403
    assert client.post(reverse("projects:create"), {"code": "X"}).status_code == 403


def test_project_create_anonymous_redirects_to_login() -> None:
    response = client_for(None).get(reverse("projects:create"))
    assert response.status_code == 302


def test_project_create_plans_visits_and_says_so(
    policy: Policy, owner: User, colleague: User
) -> None:
    customer = CustomerFactory.create()
    contact = ContactFactory.create(customer=customer)
    response = client_for(owner).post(
        reverse("projects:create"),
        {
            "code": "NEW-1",
            "name": "New system",
            "customer": customer.pk,
            "manager": owner.pk,
            "status": "active",
            "cadence": "biweekly",
            "planned_start": "2026-04-01",
            "planned_end": "2026-06-30",
            "policy": policy.pk,
            "members": [colleague.pk],
            "default_contacts": [contact.pk],
        },
        follow=True,
    )
    project = Project.objects.get(code="NEW-1")
    visits = Visit.objects.filter(project=project)
    assert response.redirect_chain[-1][0].startswith(reverse("projects:detail", args=[project.pk]))
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Project NEW-1 created.",
        f"Visit plan updated: {visits.count()} visits added.",
    ]
    assert list(project.memberships.values_list("user_id", flat=True)) == [colleague.pk]
    assert list(project.default_contacts.all()) == [contact]
    assert len(response.context["changed_ids"]) == visits.count()


def test_project_create_end_before_start_shows_error_and_keeps_input(
    policy: Policy, owner: User
) -> None:
    customer = CustomerFactory.create()
    response = client_for(owner).post(
        reverse("projects:create"),
        {
            "code": "BAD-1",
            "name": "Backwards",
            "customer": customer.pk,
            "manager": owner.pk,
            "status": "active",
            "cadence": "monthly",
            "planned_start": "2026-05-01",
            "planned_end": "2026-04-01",
            "policy": policy.pk,
        },
    )
    assert response.status_code == 200
    assert not Project.objects.filter(code="BAD-1").exists()
    form = response.context["form"]
    assert form.errors
    assert 'value="Backwards"' in response.content.decode()
    assert 'value="2026-04-01"' in response.content.decode()


def test_project_create_manager_cannot_hand_project_to_someone_else(
    policy: Policy, owner: User, outsider_pm: User
) -> None:
    response = client_for(owner).post(
        reverse("projects:create"),
        {
            "code": "GIFT-1",
            "name": "Gift",
            "customer": CustomerFactory.create().pk,
            "manager": outsider_pm.pk,
            "status": "planned",
            "cadence": "monthly",
            "planned_start": "2026-05-01",
            "policy": policy.pk,
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["manager"]


def test_project_create_rejects_contact_of_another_customer(policy: Policy, owner: User) -> None:
    other_contact = ContactFactory.create()
    response = client_for(owner).post(
        reverse("projects:create"),
        {
            "code": "C-1",
            "name": "Contacts",
            "customer": CustomerFactory.create().pk,
            "manager": owner.pk,
            "status": "planned",
            "cadence": "monthly",
            "planned_start": "2026-05-01",
            "policy": policy.pk,
            "default_contacts": [other_contact.pk],
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["default_contacts"] == [
        "Choose only contacts of the project's customer."
    ]


# --- edit and status buttons ----------------------------------------------------------


def test_project_edit_outsider_gets_404(project: Project, outsider: User) -> None:
    response = client_for(outsider).get(reverse("projects:edit", args=[project.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["colleague", "executive", "outsider_pm"])
def test_project_edit_refused_without_the_right(
    project: Project, who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    if who == "outsider_pm":
        project.memberships.create(user=user)  # sees it as a member, does not manage it
    client = client_for(user)
    url = reverse("projects:edit", args=[project.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data(project)).status_code == 403
    for name in ("hold", "resume", "complete", "cancel"):
        assert client.post(reverse(f"projects:{name}", args=[project.pk])).status_code == 403


def page_version(client: Client, project: Project) -> str:
    """The version the project's edit page (and each of its buttons) carries."""
    return form_version(client, reverse("projects:edit", args=[project.pk]))


def test_project_edit_anonymous_redirects_to_login(project: Project) -> None:
    response = client_for(None).get(reverse("projects:edit", args=[project.pk]))
    assert response.status_code == 302


def test_project_edit_end_date_replans_and_highlights_changes(
    project: Project, owner: User
) -> None:
    before = set(Visit.objects.filter(project=project).values_list("pk", "due_date"))
    client = client_for(owner)
    response = client.post(
        reverse("projects:edit", args=[project.pk]),
        form_data(project, planned_end="2026-10-31", version=page_version(client, project)),
        follow=True,
    )
    after = set(Visit.objects.filter(project=project).values_list("pk", "due_date"))
    added = {pk for pk, _due in after} - {pk for pk, _due in before}
    changed = {pk for pk, _due in after - before}
    assert added
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith(f"Visit plan updated: {len(added)} visits added")
    assert response.context["changed_ids"] == changed
    assert response.content.decode().count('data-changed="true"') == len(changed)


def test_project_edit_without_planning_change_says_plan_unchanged(
    project: Project, owner: User
) -> None:
    client = client_for(owner)
    response = client.post(
        reverse("projects:edit", args=[project.pk]),
        form_data(project, name="Renamed", version=page_version(client, project)),
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["The visit plan did not change."]
    project.refresh_from_db()
    assert project.name == "Renamed"
    assert list(project.memberships.values_list("user__username", flat=True)) == ["colleague"]


def test_project_edit_end_before_start_shows_error_and_keeps_input(
    project: Project, owner: User
) -> None:
    response = client_for(owner).post(
        reverse("projects:edit", args=[project.pk]),
        form_data(project, planned_end="2026-01-31", name="Kept name"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'value="Kept name"' in response.content.decode()
    project.refresh_from_db()
    assert project.planned_end == datetime.date(2026, 8, 31)


def test_project_hold_and_resume_buttons(project: Project, owner: User) -> None:
    client = client_for(owner)
    response = client.post(
        reverse("projects:hold", args=[project.pk]),
        {"hold-reason": "Customer audit", "hold-version": page_version(client, project)},
        follow=True,
    )
    project.refresh_from_db()
    assert project.status == "on_hold"
    assert "The project is on hold." in [str(m) for m in response.context["messages"]]
    assert project.holds.get().reason == "Customer audit"
    client.post(
        reverse("projects:resume", args=[project.pk]),
        {"resume-version": page_version(client, project)},
    )
    project.refresh_from_db()
    assert project.status == "active"


def test_project_resume_of_active_project_shows_error(project: Project, owner: User) -> None:
    client = client_for(owner)
    response = client.post(
        reverse("projects:resume", args=[project.pk]),
        {"resume-version": page_version(client, project)},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Only a project on hold can be resumed."
    ]


def test_hold_refused_after_a_cancel_meanwhile_says_so(project: Project, owner: User) -> None:
    """The hold section is gone from a cancelled project's page, but the refusal must
    still be on the page the manager gets back."""
    client = client_for(owner)
    stale = page_version(client, project)
    client.post(reverse("projects:cancel", args=[project.pk]), {"cancel-version": stale})
    response = client.post(
        reverse("projects:hold", args=[project.pk]),
        {"hold-reason": "Customer audit", "hold-version": stale},
    )
    assert response.status_code in (400, 409)
    assert b'data-testid="hold"' not in response.content
    shown = response.context["status_errors"]
    assert len(shown) == 1
    assert str(shown[0]) in response.content.decode()
    project.refresh_from_db()
    assert project.status == "cancelled"


def test_project_complete_needs_a_date(project: Project, owner: User) -> None:
    client = client_for(owner)
    version = page_version(client, project)
    response = client.post(
        reverse("projects:complete", args=[project.pk]),
        {"complete-actual_end": "", "complete-version": version},
    )
    assert response.status_code == 400
    assert response.context["complete_form"].errors["actual_end"] == ["This field is required."]
    client.post(
        reverse("projects:complete", args=[project.pk]),
        {"complete-actual_end": "2026-03-27", "complete-version": version},
    )
    project.refresh_from_db()
    assert (project.status, project.actual_end) == ("completed", datetime.date(2026, 3, 27))


def test_project_cancel_cancels_planned_visits(project: Project, owner: User) -> None:
    planned = Visit.objects.filter(project=project, status=VisitStatus.PLANNED).count()
    client = client_for(owner)
    response = client.post(
        reverse("projects:cancel", args=[project.pk]),
        {"cancel-version": page_version(client, project)},
        follow=True,
    )
    assert f"Visit plan updated: {planned} visits cancelled." in [
        str(m) for m in response.context["messages"]
    ]
    assert Visit.objects.filter(project=project, status=VisitStatus.PLANNED).count() == 0
