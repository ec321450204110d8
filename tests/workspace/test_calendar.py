"""The calendar (month and week views) and the personal iCal feed.

The ``project`` fixture (P-001, managed by ``owner``, ``colleague`` on the team) has
its kickoff due 2026-03-09 and monthly ongoing visits due on the 9th from April."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huifang.core.calendar_feed import create_calendar_feed, hash_token, revoke_calendar_feed
from huifang.core.models import CalendarFeed, User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitStatus
from tests.factories import make_project

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOOK_DAY = datetime.datetime(2026, 3, 28, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def on_look_day() -> Iterator[None]:
    with time_machine.travel(LOOK_DAY, tick=False):
        yield


def client_for(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def cells(content: bytes) -> dict[str, list[str]]:
    """Each day of the month table (by ISO date) with the visits shown in it."""
    html = content.decode()
    table = html[html.index('data-testid="calendar-') : html.index("</table>")]
    found: dict[str, list[str]] = {}
    for date, inner in re.findall(r'data-date="([\d-]+)"[^>]*>(.*?)</t[dr]>', table, flags=re.S):
        visits = re.findall(r'data-testid="calendar-visit">(.*?)</a>', inner, flags=re.S)
        found[date] = [" ".join(visit.split()) for visit in visits]
    return found


def with_visits(content: bytes) -> dict[str, list[str]]:
    return {date: visits for date, visits in cells(content).items() if visits}


# --- Month and week ---------------------------------------------------------------------


def test_calendar_pages_ask_anonymous_users_to_log_in(db: None) -> None:
    for url in ("/calendar/", "/calendar/week/", "/calendar/feed/"):
        response = Client().get(url)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


def test_calendar_month_shows_visits_on_their_due_days(
    project: Project, owner: User, on_look_day: None
) -> None:
    response = client_for(owner).get("/calendar/?month=2026-04")
    assert response.status_code == 200
    assert with_visits(response.content) == {"2026-04-09": ["P-001 Ongoing #1"]}
    assert b"April 2026" in response.content


def test_calendar_month_defaults_to_this_month_with_today_highlighted(
    project: Project, owner: User, on_look_day: None
) -> None:
    response = client_for(owner).get("/calendar/")
    assert with_visits(response.content) == {"2026-03-09": ["P-001 Kickoff"]}
    today = re.findall(r'data-date="([\d-]+)"[^>]*aria-current="date"', response.content.decode())
    assert today == ["2026-03-28"]
    assert response.context["prev_url"] == "?month=2026-02"
    assert response.context["next_url"] == "?month=2026-04"


def test_calendar_puts_a_scheduled_visit_on_its_day_with_the_time(
    project: Project, owner: User, on_look_day: None
) -> None:
    Visit.objects.filter(project=project, phase="ongoing", sequence=1).update(
        status=VisitStatus.SCHEDULED,
        scheduled_at=datetime.datetime(2026, 4, 7, 14, 30, tzinfo=SHANGHAI),
    )
    response = client_for(owner).get("/calendar/?month=2026-04")
    assert with_visits(response.content) == {"2026-04-07": ["14:30 P-001 Ongoing #1"]}


def test_calendar_leaves_out_cancelled_visits(
    project: Project, owner: User, on_look_day: None
) -> None:
    Visit.objects.filter(project=project, phase="kickoff").update(status=VisitStatus.CANCELLED)
    assert with_visits(client_for(owner).get("/calendar/").content) == {}


def test_calendar_of_an_outsider_shows_no_visits(
    project: Project, outsider: User, on_look_day: None
) -> None:
    assert with_visits(client_for(outsider).get("/calendar/").content) == {}
    assert with_visits(client_for(outsider).get("/calendar/week/?week=2026-03-09").content) == {}


@pytest.mark.parametrize("fixture", ["colleague", "quality", "executive"])
def test_calendar_shows_visits_of_visible_projects(
    project: Project, fixture: str, request: pytest.FixtureRequest, on_look_day: None
) -> None:
    user = request.getfixturevalue(fixture)
    assert with_visits(client_for(user).get("/calendar/").content) == {
        "2026-03-09": ["P-001 Kickoff"]
    }


@pytest.fixture
def second_project(policy: Policy, owner: User) -> Project:
    return make_project(
        code="P-002",
        name="CRM",
        manager=owner,
        policy=policy,
        planned_start=datetime.date(2026, 3, 3),
    )


def test_calendar_filters_by_project_and_owner(
    project: Project, second_project: Project, owner: User, colleague: User, on_look_day: None
) -> None:
    client = client_for(owner)
    assert with_visits(client.get("/calendar/").content) == {
        "2026-03-09": ["P-001 Kickoff"],
        "2026-03-10": ["P-002 Kickoff"],
    }
    filtered = client.get(f"/calendar/?month=2026-03&project={second_project.pk}")
    assert with_visits(filtered.content) == {"2026-03-10": ["P-002 Kickoff"]}
    assert filtered.context["next_url"] == f"?project={second_project.pk}&month=2026-04"
    Visit.objects.filter(project=project, phase="kickoff").update(owner=colleague)
    by_owner = client.get(f"/calendar/?owner={colleague.pk}")
    assert with_visits(by_owner.content) == {"2026-03-09": ["P-001 Kickoff"]}


def test_calendar_week_lists_the_seven_days(
    project: Project, owner: User, on_look_day: None
) -> None:
    response = client_for(owner).get("/calendar/week/?week=2026-03-11")
    assert response.status_code == 200
    days = cells(response.content)
    assert list(days) == [f"2026-03-{day:02d}" for day in range(9, 16)]
    assert days["2026-03-09"] == ["P-001 Kickoff"]
    assert response.context["prev_url"] == "?week=2026-03-02"
    assert response.context["next_url"] == "?week=2026-03-16"


def test_calendar_week_highlights_today(project: Project, owner: User, on_look_day: None) -> None:
    response = client_for(owner).get("/calendar/week/")
    assert response.context["monday"] == datetime.date(2026, 3, 23)
    assert re.findall(r'data-date="([\d-]+)"[^>]*aria-current', response.content.decode()) == [
        "2026-03-28"
    ]


def test_calendar_ignores_a_malformed_month(
    project: Project, owner: User, on_look_day: None
) -> None:
    response = client_for(owner).get("/calendar/?month=2026-13")
    assert response.context["month"] == datetime.date(2026, 3, 1)


def test_calendar_month_query_count_does_not_grow(
    project: Project, policy: Policy, owner: User, on_look_day: None
) -> None:
    client = client_for(owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/calendar/?month=2026-04").status_code == 200
        return len(queries)

    one = count()
    for number in range(4):
        make_project(
            code=f"P-X{number}",
            name=f"Extra {number}",
            manager=owner,
            policy=policy,
            cadence="biweekly",
        )
    assert count() == one


# --- Feed settings ----------------------------------------------------------------------


def _feed_url(response_content: bytes) -> str:
    match = re.search(rb'data-testid="feed-url"', response_content)
    assert match is not None
    found = re.search(rb'value="(http://testserver/calendar/[^"]+\.ics)"', response_content)
    assert found is not None
    return found.group(1).decode()


def test_feed_settings_makes_a_url_shown_once_and_stores_only_its_hash(
    owner: User,
) -> None:
    client = client_for(owner)
    assert b"You have no feed address yet." in client.get("/calendar/feed/").content
    response = client.post("/calendar/feed/", {"operation": "create"})
    assert response.status_code == 200
    url = _feed_url(response.content)
    token = url.removeprefix("http://testserver/calendar/").removesuffix(".ics")
    feed = CalendarFeed.objects.get(user=owner)
    assert feed.token_hash == hash_token(token)
    assert token not in feed.token_hash
    again = client.get("/calendar/feed/").content
    assert token.encode() not in again
    assert b"A feed address is active since" in again


def test_feed_settings_revoke_and_regenerate(owner: User, on_look_day: None) -> None:
    client = client_for(owner)
    first = _feed_url(client.post("/calendar/feed/", {"operation": "create"}).content)
    second = _feed_url(client.post("/calendar/feed/", {"operation": "create"}).content)
    assert first != second
    anonymous = Client()
    assert anonymous.get(first.removeprefix("http://testserver")).status_code == 404
    assert anonymous.get(second.removeprefix("http://testserver")).status_code == 200
    response = client.post("/calendar/feed/", {"operation": "revoke"})
    assert (response.status_code, response["Location"]) == (302, "/calendar/feed/")
    assert anonymous.get(second.removeprefix("http://testserver")).status_code == 404
    assert b"Your feed address was revoked." in client.get("/calendar/feed/").content


def test_feed_settings_rejects_an_unknown_operation(owner: User) -> None:
    assert client_for(owner).post("/calendar/feed/", {"operation": "x"}).status_code == 400


# --- The feed ---------------------------------------------------------------------------


def _events(client: Client, token: str) -> list[icalendar.Event]:
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["PRODID"]) == "-//Huifang//Project follow-up visits//EN"
    assert str(calendar["VERSION"]) == "2.0"
    return [event for event in calendar.walk("VEVENT") if isinstance(event, icalendar.Event)]


def test_feed_lists_the_users_visits_as_all_day_or_timed_events(
    project: Project, owner: User, on_look_day: None
) -> None:
    Visit.objects.filter(project=project, phase="ongoing", sequence=1).update(
        status=VisitStatus.SCHEDULED,
        scheduled_at=datetime.datetime(2026, 4, 7, 14, 30, tzinfo=SHANGHAI),
    )
    _feed, token = create_calendar_feed(user=owner)
    events = _events(Client(HTTP_ACCEPT_LANGUAGE="en"), token)
    visits = list(Visit.objects.filter(project=project).order_by("due_date", "pk"))
    assert [str(event["UID"]) for event in events] == [f"visit-{v.pk}@huifang" for v in visits]
    kickoff, ongoing = events[0], events[1]
    assert (kickoff.decoded("DTSTART"), kickoff.decoded("DTEND")) == (
        datetime.date(2026, 3, 9),
        datetime.date(2026, 3, 10),
    )
    assert str(kickoff["SUMMARY"]) == "Visit P-001 ERP rollout: Kickoff"
    assert ongoing.decoded("DTSTART") == datetime.datetime(2026, 4, 7, 6, 30, tzinfo=datetime.UTC)
    assert ongoing.decoded("DTEND") == datetime.datetime(2026, 4, 7, 7, 30, tzinfo=datetime.UTC)
    assert str(ongoing["SUMMARY"]) == "Visit P-001 ERP rollout: Ongoing #1"
    assert str(ongoing["URL"]) == f"http://testserver/visits/{visits[1].pk}/"
    assert all("DTSTAMP" in event for event in events)


def test_feed_keeps_open_visits_and_the_last_90_days(project: Project, owner: User) -> None:
    Visit.objects.filter(project=project, due_date__lt=datetime.date(2026, 6, 1)).update(
        status=VisitStatus.DONE, completed_on=datetime.date(2026, 5, 9)
    )
    Visit.objects.filter(project=project, phase="ongoing", sequence=4).update(
        status=VisitStatus.CANCELLED
    )
    _feed, token = create_calendar_feed(user=owner)
    with time_machine.travel(datetime.datetime(2026, 7, 20, 9, tzinfo=SHANGHAI), tick=False):
        events = _events(Client(), token)
    expected = (
        Visit.objects.filter(project=project, due_date__gte=datetime.date(2026, 4, 21))
        .exclude(status=VisitStatus.CANCELLED)
        .order_by("due_date", "pk")
    )
    assert [event.decoded("DTSTART") for event in events] == [v.due_date for v in expected]
    assert events[0].decoded("DTSTART") == datetime.date(2026, 5, 9)


def test_feed_of_a_member_has_only_their_visits(
    project: Project, colleague: User, on_look_day: None
) -> None:
    kickoff = Visit.objects.get(project=project, phase="kickoff")
    kickoff.owner = colleague
    kickoff.save()
    _feed, token = create_calendar_feed(user=colleague)
    assert [str(event["UID"]) for event in _events(Client(), token)] == [
        f"visit-{kickoff.pk}@huifang"
    ]


def test_feed_with_an_unknown_or_revoked_token_is_404(owner: User) -> None:
    _feed, token = create_calendar_feed(user=owner)
    assert Client().get("/calendar/not-a-token.ics").status_code == 404
    revoke_calendar_feed(user=owner)
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_feed_speaks_the_users_language(project: Project, owner: User, on_look_day: None) -> None:
    owner.language = "zh-hans"
    owner.save()
    _feed, token = create_calendar_feed(user=owner)
    events = _events(Client(HTTP_ACCEPT_LANGUAGE="en"), token)
    assert str(events[0]["SUMMARY"]).endswith("启动")
