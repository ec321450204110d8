"""Loading a year's national days re-plans the visits they move.

Time travel to December 2026: chinese-calendar has no 2027 data, so 2027 due dates
are planned on the holidays package's calendar (no adjusted workdays). Loading the
2027 notice (made up for the test: the real one is not published yet) must move the
visits still merely planned, leave the fixed ones, tell their owners and keep the
load in the audit history; loading it again changes nothing.
"""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from huifang.core.holiday_notice import parse_notice
from huifang.core.models import User
from huifang.notify.models import Kind, Notification
from huifang.policy.models import NationalYear, NationalYearSource, Policy
from huifang.policy.national_days import load_national_year
from huifang.projects.models import Project
from huifang.projects.services import create_project
from huifang.visits.lifecycle import book_visit
from huifang.visits.models import Visit
from tests.factories import CustomerFactory
from tests.visits.planned_projects import count_queries, publish_weekends_policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(settings: Any) -> None:
    # Commands and notifications speak the organisation's language (zh-hans by default).
    settings.LANGUAGE_CODE = "en"


D = datetime.date.fromisoformat
NOTICE_PATH = Path(__file__).parent / "notices" / "2027-made-up.txt"
NOTICE = NOTICE_PATH.read_text(encoding="utf-8")
TODAY = D("2026-12-02")


@pytest.fixture(autouse=True)
def _december_2026(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC), tick=False)


def kickoff_on(policy: Policy, owner: User, *, code: str, start: str) -> Project:
    """A project whose kickoff visit is due a week after ``start``."""
    created, _ = create_project(
        code=code,
        name=f"Project {code}",
        customer=CustomerFactory(),
        manager=owner,
        status="planned",
        cadence="monthly",
        planned_start=D(start),
        planned_end=D(start) + datetime.timedelta(days=200),
        policy=policy,
        today=TODAY,
    )
    return created


def kickoff(project: Project) -> Visit:
    return Visit.objects.get(project=project, phase="kickoff")


def load(user: User | None, text: str = NOTICE) -> Any:
    parsed = parse_notice(text, year=2027)
    assert parsed.errors == []
    return load_national_year(
        year=2027, days=parsed.days, source=NationalYearSource.NOTICE, source_text=text, user=user
    )


def test_loading_the_notice_moves_planned_visits_and_keeps_fixed_ones(
    policy: Policy, owner: User, quality: User
) -> None:
    # Due on Saturday 2027-02-20: without the notice a weekend, so planned for Friday
    # the 19th; the notice makes the 20th an adjusted workday.
    free = kickoff_on(policy, owner, code="FREE", start="2027-02-13")
    fixed = kickoff_on(policy, owner, code="FIXED", start="2027-02-13")
    assert kickoff(free).due_date == D("2027-02-19")
    book_visit(
        visit=kickoff(fixed),
        scheduled_at=datetime.datetime(2027, 2, 18, 10, tzinfo=datetime.UTC),
        form="phone",
    )

    result = load(quality)

    assert result.changed
    assert kickoff(free).due_date == D("2027-02-20")
    assert kickoff(fixed).due_date == D("2027-02-19")
    assert [(visit.pk, old) for visit, old in result.moved] == [(kickoff(free).pk, D("2027-02-19"))]
    (told,) = Notification.objects.filter(kind=Kind.VISITS_MOVED_BY_CALENDAR)
    assert told.recipient == owner
    assert "FREE" in told.body
    assert "20 Feb 2027" in told.body  # the owner reads English
    assert "19 Feb 2027" in told.body
    row = NationalYear.objects.get(year=2027)
    assert row.loaded_by == quality
    assert row.source_text == NOTICE
    (entry,) = row.history.all()
    assert entry.history_user == quality


def test_loading_the_same_text_twice_changes_nothing(
    policy: Policy, owner: User, quality: User
) -> None:
    kickoff_on(policy, owner, code="FREE", start="2027-02-13")
    load(quality)
    before = list(Visit.objects.values_list("pk", "due_date", "updated_at").order_by("pk"))

    again = load(quality)

    assert not again.changed
    assert again.moved == []
    assert list(Visit.objects.values_list("pk", "due_date", "updated_at").order_by("pk")) == before
    assert NationalYear.objects.get(year=2027).history.count() == 1
    assert Notification.objects.filter(kind=Kind.VISITS_MOVED_BY_CALENDAR).count() == 1


def test_changing_a_loaded_year_moves_the_visits_back(
    policy: Policy, owner: User, quality: User
) -> None:
    free = kickoff_on(policy, owner, code="FREE", start="2027-02-13")
    load(quality)
    corrected = NOTICE.replace("2月20日（周六）上班。", "")

    result = load(quality, corrected)

    assert result.changed
    assert kickoff(free).due_date == D("2027-02-19")
    assert NationalYear.objects.get(year=2027).history.count() == 2
    assert Notification.objects.filter(kind=Kind.VISITS_MOVED_BY_CALENDAR).count() == 2


def test_a_weekends_policy_is_not_replanned(owner: User, quality: User) -> None:
    project = kickoff_on(publish_weekends_policy(), owner, code="WKND", start="2027-02-13")
    due = kickoff(project).due_date

    result = load(quality)

    assert result.projects == 0
    assert kickoff(project).due_date == due


def test_the_command_loads_the_notice_and_shows_the_year(
    policy: Policy, owner: User, tmp_path: Path
) -> None:
    free = kickoff_on(policy, owner, code="FREE", start="2027-02-13")
    out = StringIO()
    call_command("calendar", "load", "--year", "2027", "--text", str(NOTICE_PATH), stdout=out)
    assert "1 visits moved" in out.getvalue()
    assert kickoff(free).due_date == D("2027-02-20")

    out = StringIO()
    call_command("calendar", "load", "--text", str(NOTICE_PATH), stdout=out)
    assert "nothing changed" in out.getvalue()

    out = StringIO()
    call_command("calendar", "show", "2027", stdout=out)
    shown = out.getvalue().splitlines()
    assert "2027-02-20  adjusted workday  春节  [notice]" in shown
    assert "2027-02-05  holiday  春节  [notice]" in shown
    assert shown[0].startswith("2027: loaded from")


def test_the_command_refuses_a_bad_notice_and_saves_nothing(policy: Policy, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(NOTICE.replace("共8天", "共9天"), encoding="utf-8")
    with pytest.raises(CommandError, match="Line 4"):
        call_command("calendar", "load", "--year", "2027", "--text", str(bad))
    assert not NationalYear.objects.exists()


def test_the_command_shows_library_years_with_their_source(db: None) -> None:
    out = StringIO()
    call_command("calendar", "show", "2025", stdout=out)
    shown = out.getvalue().splitlines()
    assert shown[0] == "2025: the chinese-calendar package"
    assert "2025-01-26  adjusted workday  Spring Festival  [chinese-calendar]" in shown
    out = StringIO()
    call_command("calendar", "show", "2028", stdout=out)
    assert out.getvalue().splitlines()[0] == "2028: the holidays package (no adjusted workdays)"


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//holidays//CN
BEGIN:VEVENT
UID:1
DTSTART;VALUE=DATE:20270205
DTEND;VALUE=DATE:20270213
SUMMARY:\xe6\x98\xa5\xe8\x8a\x82
END:VEVENT
BEGIN:VEVENT
UID:2
DTSTART;VALUE=DATE:20270220
DTEND;VALUE=DATE:20270221
SUMMARY:\xe6\x98\xa5\xe8\x8a\x82\xe8\xa1\xa5\xe7\x8f\xad
END:VEVENT
END:VCALENDAR
"""


def test_the_command_loads_an_ics_file(policy: Policy, owner: User, tmp_path: Path) -> None:
    free = kickoff_on(policy, owner, code="FREE", start="2027-02-13")
    path = tmp_path / "holidays.ics"
    path.write_bytes(ICS)
    call_command("calendar", "load", "--ics", str(path), stdout=StringIO())
    row = NationalYear.objects.get(year=2027)
    assert row.source == NationalYearSource.ICS
    assert {"date": "2027-02-20", "kind": "workday", "name": "春节"} in row.days
    assert len([day for day in row.days if day["kind"] == "holiday"]) == 8
    assert kickoff(free).due_date == D("2027-02-20")


def test_loading_costs_the_same_queries_for_25_projects_as_for_5(
    policy: Policy, owner: User, quality: User
) -> None:
    for number in range(5):
        kickoff_on(policy, owner, code=f"A{number}", start="2027-02-13")
    few = count_queries(lambda: load(quality))
    NationalYear.objects.all().delete()
    Visit.objects.filter(phase="kickoff").update(due_date=D("2027-02-19"))  # before the notice
    for number in range(20):
        kickoff_on(policy, owner, code=f"B{number}", start="2027-02-13")
    many = count_queries(lambda: load(quality))
    assert Visit.objects.filter(phase="kickoff", due_date=D("2027-02-20")).count() == 25
    # Not more for five times the projects (the first load also fills a few per-process
    # caches, such as the notification's content type).
    assert many <= few
