"""Logging in and out, the home page ("My visits") and the health check.

The ``project`` fixture (P-001, managed by ``owner``) has its kickoff visit due
2026-03-09 and its first ongoing visit due 2026-04-09; the home page is looked at on
2026-03-28, when the kickoff is 19 days late and the ongoing visit falls due within
the 14 days ahead.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitStatus
from tests.factories import make_project

PASSWORD = "correct-horse-battery"
SHANGHAI = ZoneInfo("Asia/Shanghai")
LOOK_DAY = datetime.datetime(2026, 3, 28, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def on_look_day() -> Iterator[None]:
    with time_machine.travel(LOOK_DAY, tick=False):
        yield


def client_for(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def html_lang(content: bytes) -> str:
    match = re.search(rb'<html lang="([^"]+)">', content)
    assert match is not None
    return match.group(1).decode()


def visit_rows(content: bytes) -> list[str]:
    """The text of each visit row, whitespace collapsed: what a reader sees."""
    html = content.decode()
    rows = re.findall(r'<tr[^>]*data-testid="visit-row"[^>]*>(.*?)</tr>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def section(content: bytes, heading_id: str) -> bytes:
    """The part of the page under one heading (overdue or due soon)."""
    html = content.decode()
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end].encode()


# --- Log in, log out --------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "lang"), [("zh-CN,zh;q=0.9", "zh-hans"), ("en-US,en", "en")])
def test_login_page_speaks_the_browsers_language(db: None, accept: str, lang: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE=accept).get("/login/")
    assert response.status_code == 200
    assert html_lang(response.content) == lang


def test_login_page_defaults_to_chinese(db: None) -> None:
    response = Client().get("/login/")
    assert html_lang(response.content) == "zh-hans"


def test_wrong_password_shows_an_error_and_logs_nobody_in(owner: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/login/", {"username": "owner", "password": "wrong"})
    assert response.status_code == 200
    assert (
        b'<div class="alert alert-danger" role="alert">Please enter a correct username and '
        b"password. Note that both fields may be case-sensitive.</div>" in response.content
    )
    assert "_auth_user_id" not in client.session


def test_logging_in_goes_home(owner: User) -> None:
    client = Client()
    response = client.post("/login/", {"username": "owner", "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert client.get("/").status_code == 200


def test_logging_in_follows_next(owner: User) -> None:
    client = Client()
    response = client.post(
        "/login/", {"username": "owner", "password": PASSWORD, "next": "/healthz"}
    )
    assert response["Location"] == "/healthz"


def test_signed_in_user_on_login_page_goes_home(owner: User) -> None:
    response = client_for(owner).get("/login/")
    assert (response.status_code, response["Location"]) == (302, "/")


def test_logout_by_post_ends_the_session(owner: User) -> None:
    client = client_for(owner)
    response = client.post("/logout/")
    assert (response.status_code, response["Location"]) == (302, "/login/")
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_logout_by_get_is_refused(owner: User) -> None:
    client = client_for(owner)
    assert client.get("/logout/").status_code == 405
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_anonymous_home_redirects_to_login(db: None) -> None:
    response = Client().get("/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")


# --- Language ---------------------------------------------------------------------------


def test_saved_language_wins_over_the_browser(owner: User) -> None:
    owner.language = "en"
    owner.save()
    response = client_for(owner, language="zh-CN,zh;q=0.9").get("/")
    assert html_lang(response.content) == "en"
    assert response["Content-Language"] == "en"


def test_without_saved_language_the_browser_decides(owner: User) -> None:
    assert html_lang(client_for(owner, language="zh-CN").get("/").content) == "zh-hans"
    assert html_lang(client_for(owner, language="en").get("/").content) == "en"


# --- My visits --------------------------------------------------------------------------


def test_home_lists_overdue_visits_with_days_late(
    project: Project, owner: User, on_look_day: None
) -> None:
    response = client_for(owner).get("/")
    assert response.status_code == 200
    assert visit_rows(section(response.content, "overdue-heading")) == [
        f"9 Mar 2026 19 days late Kickoff P-001 ERP rollout {project.customer.name} owner Planned"
    ]
    assert response.context["overdue"][0][1] == 19


def test_home_lists_visits_due_in_the_next_14_days(
    project: Project, owner: User, on_look_day: None
) -> None:
    response = client_for(owner).get("/")
    assert visit_rows(section(response.content, "soon-heading")) == [
        f"9 Apr 2026 window opens 10 Mar 2026 Ongoing #1 P-001 ERP rollout "
        f"{project.customer.name} owner Planned"
    ]
    assert b"Due by 11 Apr 2026" in response.content


def test_home_says_one_day_late_in_the_singular(project: Project, owner: User) -> None:
    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, tzinfo=SHANGHAI), tick=False):
        response = client_for(owner).get("/")
    assert visit_rows(section(response.content, "overdue-heading"))[0].startswith(
        "9 Mar 2026 1 day late Kickoff P-001"
    )


def test_home_leaves_out_done_and_cancelled_visits(
    project: Project, owner: User, on_look_day: None
) -> None:
    Visit.objects.filter(project=project, phase="kickoff").update(
        status=VisitStatus.DONE, completed_on=datetime.date(2026, 3, 9)
    )
    Visit.objects.filter(project=project, phase="ongoing", sequence=1).update(
        status=VisitStatus.CANCELLED
    )
    response = client_for(owner).get("/")
    assert visit_rows(response.content) == []
    assert b"Nothing overdue. Well done." in response.content
    assert b"No visits fall due in the next two weeks." in response.content


def test_home_of_an_outsider_shows_none_of_the_projects_visits(
    project: Project, outsider: User, on_look_day: None
) -> None:
    # Even a visit the outsider owns stays hidden while they are not on the team.
    Visit.objects.filter(project=project, phase="kickoff").update(owner=outsider)
    response = client_for(outsider).get("/")
    assert visit_rows(response.content) == []
    assert (response.context["overdue"], response.context["due_soon"]) == ([], [])


def test_home_of_a_colleague_shows_the_visits_they_own(
    project: Project, colleague: User, on_look_day: None
) -> None:
    assert visit_rows(client_for(colleague).get("/").content) == []
    Visit.objects.filter(project=project, phase="kickoff").update(owner=colleague)
    rows = visit_rows(client_for(colleague).get("/").content)
    assert rows == [
        f"9 Mar 2026 19 days late Kickoff P-001 ERP rollout {project.customer.name} colleague "
        "Planned"
    ]


def test_home_of_a_colleague_shows_visits_they_take_part_in(
    project: Project, colleague: User, on_look_day: None
) -> None:
    kickoff = Visit.objects.get(project=project, phase="kickoff")
    kickoff.participants.add(colleague)
    rows = visit_rows(client_for(colleague).get("/").content)
    assert [row.split(" P-001")[0] for row in rows] == ["9 Mar 2026 19 days late Kickoff"]


def test_home_of_quality_shows_every_projects_visits(
    project: Project, quality: User, on_look_day: None
) -> None:
    rows = visit_rows(client_for(quality).get("/?mine=1").content)
    assert [row.split(" ERP")[0].split(" ")[-1] for row in rows] == ["P-001", "P-001"]


def _add_projects(policy: Policy, owner: User, count: int, prefix: str = "X") -> None:
    for number in range(count):
        make_project(
            code=f"P-{prefix}{number}",
            name=f"Extra {number}",
            manager=owner,
            policy=policy,
            cadence="biweekly",
        )


def _home_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries)


def test_home_query_count_does_not_grow_with_projects(
    project: Project, policy: Policy, owner: User, on_look_day: None
) -> None:
    client = client_for(owner)
    one = _home_queries(client)
    rows_with_one = len(visit_rows(client.get("/").content))
    _add_projects(policy, owner, 4)
    five = _home_queries(client)
    assert len(visit_rows(client.get("/").content)) > rows_with_one
    _add_projects(policy, owner, 10, prefix="Y")
    fifteen = _home_queries(client)
    _add_projects(policy, owner, 10, prefix="Z")
    assert _home_queries(client) == fifteen
    # A list longer than it shows costs one count (five lists: at most five more).
    assert one <= five <= fifteen <= one + 5


# --- Health check -----------------------------------------------------------------------


def test_healthz_answers_ok(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "checks": {"database": "ok"}}


def test_healthz_needs_no_login_and_takes_only_get(db: None) -> None:
    assert Client().post("/healthz").status_code == 405
