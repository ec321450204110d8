"""A visit whose window has not opened offers "schedule", not "record"; recording it
early is an explicit "record now" with a confirmation. The ``project`` fixture runs
2026-03-02 – 2026-08-31; today is 2026-04-20."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.models import Visit
from huifang.visits.recording import save_visit_record
from tests.visits.record_form import client_for, kickoff_of, record_url

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 4, 20)


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False)


def _future(project: Project) -> Visit:
    visit = project.visits.filter(window_start__gt=TODAY).order_by("due_date").first()
    assert visit is not None
    return visit


def test_visit_not_yet_open_offers_schedule_and_record_now(project: Project, owner: User) -> None:
    visit = _future(project)

    html = client_for(owner).get(reverse("visits:detail", args=[visit.pk])).content.decode()

    assert 'data-testid="schedule-first"' in html
    assert ">Record now</a>" in html
    assert "Record the visit" not in html
    assert html.count(">Schedule</a>") == 1


def test_open_visit_offers_record_the_visit(project: Project, owner: User) -> None:
    html = (
        client_for(owner)
        .get(reverse("visits:detail", args=[kickoff_of(project).pk]))
        .content.decode()
    )

    assert "Record the visit" in html
    assert "Record now" not in html


def test_record_url_of_a_visit_not_yet_open_asks_to_confirm(
    project: Project, colleague: User
) -> None:
    visit = _future(project)

    response = client_for(colleague).get(record_url(visit))

    html = response.content.decode()
    assert response.status_code == 200
    assert "The window of this visit opens on" in html
    assert 'data-testid="confirm-record-now"' in html
    assert 'id="record-form"' not in html


def test_confirmed_record_now_shows_the_form(project: Project, colleague: User) -> None:
    response = client_for(colleague).get(record_url(_future(project)), {"early": "1"})

    assert 'id="record-form"' in response.content.decode()


def test_a_draft_of_an_early_visit_opens_without_asking(project: Project, colleague: User) -> None:
    visit = _future(project)
    save_visit_record(
        visit=visit,
        recorded_by=colleague,
        fields={"summary": "Met early"},
        problems=[],
        feedback=None,
        actions=[],
    )

    response = client_for(colleague).get(record_url(visit))

    assert 'id="record-form"' in response.content.decode()


def test_record_now_confirmation_outsider_gets_404(project: Project, outsider: User) -> None:
    assert client_for(outsider).get(record_url(_future(project))).status_code == 404


def test_record_now_confirmation_in_chinese(project: Project, colleague: User) -> None:
    html = client_for(colleague, "zh-CN").get(record_url(_future(project))).content.decode()

    assert "本次回访的时间窗口从" in html
    assert "是的，现在记录" in html
