"""One name per visit ("Ongoing #2", "Ad hoc visit 14 Apr 2026") on every page, export
and notification, in the reader's language. Ad-hoc visits have no sequence and were
shown as "Ongoing #None" / "进行 #None" on the home page and the visit tables."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from huifang.core.models import User
from huifang.notify.models import Notification
from huifang.notify.sweep import run_sweep
from huifang.projects.models import Project
from huifang.visits.lifecycle import create_adhoc_visit
from huifang.visits.models import Visit, visit_name

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 4, 14)
LOOK = datetime.datetime(2026, 4, 20, 9, 30, tzinfo=SHANGHAI)


def _client(user: User, language: str) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def adhoc(project: Project, owner: User) -> Visit:
    return create_adhoc_visit(project=project, due_date=DAY, owner=owner)


def test_visit_name_in_both_languages() -> None:
    due = datetime.date(2026, 12, 2)
    with translation.override("en"):
        assert visit_name(phase="ongoing", sequence=2, due_date=due) == "Ongoing #2"
        assert visit_name(phase="kickoff", sequence=1, due_date=due) == "Kickoff"
        assert visit_name(phase="ongoing", sequence=None, due_date=due) == (
            "Ad hoc visit 2 Dec 2026"
        )
    with translation.override("zh-hans"):
        assert visit_name(phase="ongoing", sequence=2, due_date=due) == "进行 #2"
        assert visit_name(phase="closing", sequence=1, due_date=due) == "结束"
        assert visit_name(phase="ongoing", sequence=None, due_date=due) == "临时回访 2026-12-02"


@pytest.mark.parametrize(
    ("language", "name"), [("en", "Ad hoc visit 14 Apr 2026"), ("zh-hans", "临时回访 2026-04-14")]
)
@pytest.mark.parametrize(
    "page",
    ["/", "/visits/", "/projects/{project}/", "/customers/{customer}/", "/calendar/?month=2026-04"],
)
def test_pages_name_an_adhoc_visit_without_none(
    page: str, language: str, name: str, adhoc: Visit, project: Project, owner: User
) -> None:
    path = page.format(project=project.pk, customer=project.customer_id)
    with time_machine.travel(LOOK, tick=False):
        response = _client(owner, language).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "#None" not in html
    assert name in html


def test_exports_name_the_visit(adhoc: Visit, project: Project, owner: User) -> None:
    content = _client(owner, "en").get("/transfer/export/visits.xlsx").content
    rows = [
        list(r)
        for r in load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True)
    ]
    column = rows[0].index("Visit")
    names = [row[column] for row in rows[1:]]
    assert "Ad hoc visit 14 Apr 2026" in names
    assert "Ongoing #1" in names
    assert not any("None" in str(n) for n in names)


def test_notifications_name_an_adhoc_visit_in_the_recipient_language(
    adhoc: Visit, owner: User
) -> None:
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    run_sweep(today=datetime.date(2026, 4, 15))
    bodies = list(
        Notification.objects.filter(recipient=owner, subject_id=adhoc.pk).values_list(
            "body", flat=True
        )
    )
    assert bodies
    assert all("临时回访 2026-04-14" in body and "None" not in body for body in bodies)
