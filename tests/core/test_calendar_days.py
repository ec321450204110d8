"""The calendar marks public holidays, adjusted workdays (调休) and company days, with
a legend in both languages, and says which source decides each year's days."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client

from huifang.core.holiday_notice import HOLIDAY, WORKDAY, NationalDay
from huifang.core.models import User
from huifang.policy.models import NationalYearSource, Policy
from huifang.policy.national_days import load_national_year
from huifang.policy.services import add_company_day

pytestmark = pytest.mark.django_db
D = datetime.date.fromisoformat


@pytest.fixture(autouse=True)
def _december_2026(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC), tick=False)


def page(user: User, url: str, language: str = "en") -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def marks(html: str) -> dict[str, str]:
    """The month table's marked days: ISO date -> the words shown."""
    table = html[html.index('data-testid="calendar-month"') : html.index("</table>")]
    found = {}
    for date, inner in re.findall(r'data-date="([\d-]+)"[^>]*>(.*?)</td>', table, flags=re.S):
        tag = re.search(r'data-testid="day-mark">(.*?)</span>', inner, flags=re.S)
        if tag:
            found[date] = " ".join(tag.group(1).split())
    return found


def test_the_month_marks_holidays_adjusted_workdays_and_company_days(
    policy: Policy, colleague: User
) -> None:
    add_company_day(date=D("2026-02-27"), kind="holiday", name="Founders' day")
    html = page(colleague, "/calendar/?month=2026-02")
    shown = marks(html)
    assert shown["2026-02-15"] == "Public holiday · Spring Festival"
    assert shown["2026-02-14"] == "Adjusted workday · Spring Festival"
    assert shown["2026-02-27"] == "Company holiday · Founders&#39; day"
    assert "2026-02-10" not in shown
    assert 'class="align-top day-holiday"' in html
    assert 'data-testid="day-legend"' in html
    assert "National holidays of 2026: the chinese-calendar package." in html


def test_a_loaded_year_is_marked_from_the_notice_and_says_so(
    policy: Policy, quality: User, colleague: User
) -> None:
    before = page(colleague, "/calendar/?month=2027-02")
    assert "No adjusted workdays for 2027" in before
    load_national_year(
        year=2027,
        days=[
            NationalDay(D("2027-02-05"), HOLIDAY, "春节"),
            NationalDay(D("2027-02-20"), WORKDAY, "春节"),
        ],
        source=NationalYearSource.NOTICE,
        source_text="…",
        user=quality,
    )
    after = page(colleague, "/calendar/?month=2027-02")
    assert marks(after) == {
        "2027-02-05": "Public holiday · 春节",
        "2027-02-20": "Adjusted workday · 春节",
    }
    assert "No adjusted workdays for 2027" not in after
    assert "the State Council&#39;s notice, loaded in Huifang" in after


def test_the_week_and_the_phone_list_mark_the_days_too(policy: Policy, colleague: User) -> None:
    week = page(colleague, "/calendar/week/?week=2026-02-16")
    assert week.count('data-testid="day-mark"') == 7  # 15-23 Feb: the week is all holiday
    month = page(colleague, "/calendar/?month=2026-02")
    phone = month[month.index('data-testid="calendar-month-list"') :]
    assert "Adjusted workday · Spring Festival" in phone


def test_the_legend_is_in_chinese_for_chinese_readers(policy: Policy, colleague: User) -> None:
    html = page(colleague, "/calendar/?month=2026-02", "zh-hans")
    legend = html[
        html.index('data-testid="day-legend"') : html.index("</ul>", html.index("day-legend"))
    ]
    assert "法定节假日" in legend
    assert "调休上班日" in legend
    assert "公司自定日" in legend


def test_the_policy_page_says_which_source_each_year_uses(policy: Policy, colleague: User) -> None:
    html = page(colleague, "/policy/")
    assert "National holidays of 2026: the chinese-calendar package." in html
    assert (
        "National holidays of 2027: the holidays package (holidays only, no adjusted workdays)."
        in html
    )
    assert html.count('data-testid="no-adjusted-workdays"') >= 1
