"""Access rules and visible effects of the evaluation pages."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from huifang.actions.models import ImprovementAction
from huifang.core.models import User
from huifang.insights import services
from huifang.insights.models import PolicyAcknowledgement, Review, Suggestion
from huifang.policy.models import PolicyVersion
from huifang.visits.models import Visit
from tests.insights import dataset
from tests.insights.dataset import APRIL, D, build
from tests.pages import form_version


@pytest.fixture
def data(policy, owner, colleague, outsider_pm):
    return build(policy=policy, owner=owner, colleague=colleague, other_pm=outsider_pm)


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


APRIL_QS = {"date_from": "2026-04-01", "date_to": "2026-04-30"}

READ_PAGES = [
    "insights:dashboard",
    "insights:scorecards",
    "insights:feedback",
    "insights:reviews",
    "insights:meetings",
    "insights:acknowledge",
    "insights:acknowledgements",
    "insights:trainings",
    "insights:suggestions",
    "insights:export_records",
    "insights:export_actions",
]


@pytest.mark.parametrize("name", READ_PAGES)
def test_page_anonymous_redirects_to_login(db, name) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") or "login" in response["Location"]


@pytest.mark.parametrize(
    "name",
    [
        "insights:scorecards",
        "insights:reviews",
        "insights:meetings",
        "insights:acknowledgements",
        "insights:trainings",
    ],
)
def test_management_pages_forbidden_to_members(db, colleague, owner, name) -> None:
    assert _client(colleague).get(reverse(name)).status_code == 403
    assert _client(owner).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", READ_PAGES)
def test_pages_open_for_executive(db, policy, executive, name) -> None:
    assert _client(executive).get(reverse(name)).status_code == 200


def test_dashboard_member_sees_only_their_projects(data, colleague, outsider) -> None:
    page = _client(colleague).get(reverse("insights:dashboard"), APRIL_QS)
    assert page.context["data"]["summary"]["visits_due"] == 3
    other = _client(outsider).get(reverse("insights:dashboard"), APRIL_QS)
    assert other.context["data"]["summary"]["visits_due"] == 0
    assert other.context["data"]["overdue_visits"] == 0


def test_dashboard_links_drill_down_to_lists(data, quality) -> None:
    html = _client(quality).get(reverse("insights:dashboard"), APRIL_QS).content.decode()
    visits = reverse("visits:list")
    actions = reverse("actions:list")
    assert f'href="{visits}?overdue=1"' in html
    assert f'href="{actions}?overdue=1"' in html
    assert f'href="{actions}?status=verified_effective"' in html
    assert f'href="{visits}?due_from=2026-04-01&amp;due_to=2026-04-30"' in html
    assert 'id="insights-chart-data"' in html


def _queries(client: Client, name: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name), params).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", ["insights:dashboard", "insights:scorecards"])
def test_query_count_constant_with_more_data(data, quality, policy, name) -> None:
    client = _client(quality)
    before = _queries(client, name, APRIL_QS)
    # Several more people and projects with visits, records and actions.
    for index in range(3):
        pm = User.objects.create(username=f"pm-x{index}", role="pm")
        member = User.objects.create(username=f"m-x{index}", role="member")
        project = dataset._project(f"X{index}", pm, policy, planned_start=D(2026, 1, 1))
        for day in (3, 12, 21):
            visit = dataset._visit(project, D(2026, 4, day), "done", D(2026, 4, day), owner=member)
            record = dataset._record(visit, member, "work")
            dataset._action(project, D(2026, 4, day), D(2026, 4, 28), record=record)
    assert _queries(client, name, APRIL_QS) == before


def test_scorecards_figures_for_owner(data, quality, owner) -> None:
    page = _client(quality).get(reverse("insights:scorecards"), APRIL_QS)
    rows = {row.username: row for row in page.context["rows"]}
    row = rows["owner"]
    # owner owns v1 (on time), v2 (late), v3 (missed) of April; r1 complete, r2 not.
    assert (row.visits_owned, row.visits_on_time, row.record_completeness) == (3, 1, 0.5)
    # a1 verified effective 04-20, done 04-10 ≤ due 04-15; a2 closed 04-02, done in time.
    assert row.actions_closed_on_time == 2
    assert row.avg_satisfaction == 11 / 3  # A: 5, 4, 2 (E has no feedback)
    assert "quality" not in rows


def test_scorecards_sorted_by_visits_descending(data, quality) -> None:
    page = _client(quality).get(reverse("insights:scorecards"), {**APRIL_QS, "sort": "-visits"})
    assert [row.username for row in page.context["rows"]][:2] == ["owner", "outsider_pm"]


def test_scorecards_export_xlsx_and_csv(data, quality) -> None:
    client = _client(quality)
    xlsx = client.get(reverse("insights:scorecards"), {**APRIL_QS, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "User"
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "owner" in names
    csv = client.get(reverse("insights:scorecards"), {**APRIL_QS, "export": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("User,Role,Visits owned")


def test_review_create_freezes_figures(data, quality) -> None:
    response = _client(quality).post(
        reverse("insights:review_create"),
        {"title": "Q2", "period_start": "2026-04-01", "period_end": "2026-04-30"},
    )
    review = Review.objects.get()
    assert response.status_code == 302
    assert review.metrics["visits_due"] == 5
    assert review.metrics["visits_done_on_time"] == 2
    Visit.objects.filter(status__in=["planned", "missed"]).update(
        status="done", completed_on=D(2026, 4, 1)
    )
    review.refresh_from_db()
    assert review.metrics["visits_done_on_time"] == 2
    page = _client(quality).get(reverse("insights:review", args=[review.pk]))
    assert page.context["figures"][1] == {
        "name": "visits_done_on_time",
        "label": "Visits done on time",
        "value": 2,
    }


def test_review_create_invalid_period_keeps_input(db, policy, quality) -> None:
    response = _client(quality).post(
        reverse("insights:review_create"),
        {"title": "Backwards", "period_start": "2026-04-30", "period_end": "2026-04-01"},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The period must end on or after the day it starts."
    ]
    assert 'value="Backwards"' in response.content.decode()


def test_review_writes_forbidden_to_executive(data, executive, quality) -> None:
    review = services.create_review(
        title="Q2", period_start=APRIL[0], period_end=APRIL[1], created_by=quality
    )
    client = _client(executive)
    assert client.get(reverse("insights:review_create")).status_code == 403
    assert client.post(reverse("insights:review", args=[review.pk]), {}).status_code == 403
    assert client.post(reverse("insights:review_action", args=[review.pk]), {}).status_code == 403
    assert client.post(reverse("insights:review_revision", args=[review.pk]), {}).status_code == 403
    assert client.get(reverse("insights:review_report", args=[review.pk])).status_code == 200
    assert client.post(reverse("insights:meeting_create"), {}).status_code == 403
    assert client.post(reverse("insights:suggestions"), {"text": "x"}).status_code == 403


def test_review_decision_becomes_action_and_policy_draft(data, quality, owner) -> None:
    review = services.create_review(
        title="Q2", period_start=APRIL[0], period_end=APRIL[1], created_by=quality
    )
    client = _client(quality)
    client.post(
        reverse("insights:review_action", args=[review.pk]),
        {
            "project": data.a.pk,
            "description": "Call within a week",
            "owner": owner.pk,
            "due_date": "2026-06-01",
        },
    )
    action = ImprovementAction.objects.get(description="Call within a week")
    assert (action.origin, list(review.actions.all())) == ("review", [action])
    client.post(
        reverse("insights:review_revision", args=[review.pk]),
        {"change_note": "Shorter kickoff window"},
    )
    review.refresh_from_db()
    assert review.policy_version is not None
    assert (review.policy_version.status, review.policy_version.change_note) == (
        "draft",
        "Shorter kickoff window",
    )


def test_review_action_owner_off_team_shows_error(data, quality, outsider) -> None:
    review = services.create_review(
        title="Q2", period_start=APRIL[0], period_end=APRIL[1], created_by=quality
    )
    response = _client(quality).post(
        reverse("insights:review_action", args=[review.pk]),
        {
            "project": data.a.pk,
            "description": "Keep me",
            "owner": outsider.pk,
            "due_date": "2026-06-01",
        },
    )
    assert response.status_code == 200
    assert response.context["action_form"].non_field_errors() == [
        "outsider is not on the team of project A."
    ]
    assert "Keep me" in response.content.decode()


def test_review_report_prints(data, quality) -> None:
    review = services.create_review(
        title="Q2", period_start=APRIL[0], period_end=APRIL[1], created_by=quality
    )
    html = _client(quality).get(reverse("insights:review_report", args=[review.pk])).content
    assert b"insights/insights.css" in html
    assert b'data-metric="on_time_rate">40.0%' in html


def test_review_export_has_figures(data, quality) -> None:
    review = services.create_review(
        title="=cmd()", period_start=APRIL[0], period_end=APRIL[1], created_by=quality
    )
    response = _client(quality).get(reverse("insights:review_export", args=[review.pk]))
    book = load_workbook(io.BytesIO(response.content))
    assert book["Review"]["B2"].value == "'=cmd()"
    rows = list(book["Figures"].iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("Visits due", "visits_due", 5)


def test_meeting_with_action_item(data, quality, owner) -> None:
    client = _client(quality)
    response = client.post(
        reverse("insights:meeting_create"),
        {"date": "2026-05-05", "title": "Q2 summary", "attendees": [owner.pk], "minutes": "ok"},
    )
    meeting_url = response["Location"]
    client.post(
        meeting_url,
        {
            "project": data.a.pk,
            "description": "Share lessons",
            "owner": owner.pk,
            "due_date": "2026-06-01",
        },
    )
    action = ImprovementAction.objects.get(description="Share lessons")
    assert action.origin == "meeting"
    assert "Share lessons" in client.get(meeting_url).content.decode()


def test_acknowledge_policy_and_register(db, policy, colleague, quality) -> None:
    version = PolicyVersion.objects.published().get(policy=policy)
    client = _client(colleague)
    assert client.post(reverse("insights:acknowledge")).status_code == 302
    assert client.post(reverse("insights:acknowledge")).status_code == 302
    assert PolicyAcknowledgement.objects.filter(user=colleague, version=version).count() == 1
    register = _client(quality).get(reverse("insights:acknowledgements"))
    status = {person.username: person.acknowledged for person in register.context["people"]}
    assert status == {"colleague": True, "quality": False}
    assert register.context["missing"] == 1


def test_training_session_with_scores(db, policy, quality, colleague) -> None:
    client = _client(quality)
    response = client.post(
        reverse("insights:trainings"),
        {"date": "2026-05-06", "topic": "Visit records", "attendees": [colleague.pk]},
    )
    url = response["Location"]
    version = form_version(client, url)
    bad = client.post(url, {f"score_{colleague.pk}": "120", "version": version})
    assert bad.status_code == 200
    assert bad.context["form"].errors[f"score_{colleague.pk}"] == [
        "Ensure this value is less than or equal to 100."
    ]
    client.post(url, {f"score_{colleague.pk}": "88", "version": version})
    assert colleague.trainings.get().attendance.get().score == 88


def test_suggestion_answered_by_quality(db, policy, colleague, quality) -> None:
    _client(colleague).post(reverse("insights:suggestions"), {"text": "Allow video visits"})
    suggestion = Suggestion.objects.get()
    assert (
        _client(colleague)
        .get(reverse("insights:suggestion_answer", args=[suggestion.pk]))
        .status_code
        == 403
    )
    client = _client(quality)
    page = reverse("insights:suggestion_answer", args=[suggestion.pk])
    client.post(
        page, {"status": "adopted", "response": "In v2", "version": form_version(client, page)}
    )
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.response, suggestion.answered_by) == (
        "adopted",
        "In v2",
        quality,
    )


def test_suggestion_empty_shows_error(db, policy, colleague) -> None:
    response = _client(colleague).post(reverse("insights:suggestions"), {"text": ""})
    assert response.context["form"].errors["text"] == ["This field is required."]


def test_feedback_summary_groups_by_customer(data, colleague) -> None:
    page = _client(colleague).get(reverse("insights:feedback"), APRIL_QS)
    groups = page.context["groups"]
    assert [group["label"] for group in groups] == [str(data.a.customer)]
    assert len(groups[0]["rows"]) == 3


def test_project_report_outsider_404(data, outsider, owner) -> None:
    url = reverse("insights:project_report", args=[data.a.pk])
    assert _client(outsider).get(url).status_code == 404
    report = _client(owner).get(url).context["report"]
    assert report["visits"]["planned"] == 5
    assert report["visits"]["on_time"] == 1
    assert report["problems"] == {"found": 1, "resolved": 0}
    assert report["actions"]["total"] == 4


def test_export_records_scoped(data, colleague) -> None:
    response = _client(colleague).get(reverse("insights:export_records"), APRIL_QS)
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == ["A", "A"]
    assert rows[1][2] == datetime.datetime(2026, 4, 1)


def test_export_actions_scoped(data, colleague) -> None:
    response = _client(colleague).get(reverse("insights:export_actions"), APRIL_QS)
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 4  # header + a1, a5, a3 (a4 is project B's)


def test_dashboard_renders_in_chinese(data, quality) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(quality)
    page = client.get(reverse("insights:dashboard"), APRIL_QS)
    assert "回访仪表板" in page.content.decode()
    assert page.context["data"]["problems"][0]["category_label"] == "质量"


@pytest.mark.parametrize(
    "key",
    [
        "name",
        "role",
        "visits",
        "on_time",
        "on_time_rate",
        "completeness",
        "actions",
        "satisfaction",
    ],
)
def test_scorecards_sort_by_every_column(data, quality, key) -> None:
    client = _client(quality)
    assert client.get(reverse("insights:scorecards"), {"sort": key}).status_code == 200
    assert client.get(reverse("insights:scorecards"), {"sort": f"-{key}"}).status_code == 200
