"""Working-day calendars: China's statutory calendar with 调休, fallback years, company days."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import holidays
import pytest

from huifang.core import workdays
from huifang.core.workdays import CalendarKind, NationalYear, WorkdayCalendar

D = date.fromisoformat

NONE = WorkdayCalendar(CalendarKind.NONE)
WEEKENDS = WorkdayCalendar(CalendarKind.WEEKENDS)
CHINA = WorkdayCalendar(CalendarKind.CHINA)


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Forget cached years so fallback warnings and source look-ups happen again."""
    workdays._china_days_off.cache_clear()
    workdays.chinese_calendar_covers.cache_clear()
    yield
    workdays._china_days_off.cache_clear()
    workdays.chinese_calendar_covers.cache_clear()


@pytest.mark.parametrize(
    ("calendar", "day", "working"),
    [
        pytest.param(CHINA, "2025-10-01", False, id="china-national-day"),
        pytest.param(CHINA, "2025-10-08", False, id="china-national-day-last"),
        pytest.param(CHINA, "2025-09-28", True, id="china-adjusted-workday-sunday"),
        pytest.param(CHINA, "2025-10-11", True, id="china-adjusted-workday-saturday"),
        pytest.param(CHINA, "2025-09-27", False, id="china-plain-saturday"),
        pytest.param(CHINA, "2025-09-30", True, id="china-plain-tuesday"),
        pytest.param(CHINA, "2030-10-01", False, id="fallback-national-day"),
        pytest.param(CHINA, "2030-10-09", True, id="fallback-plain-wednesday"),
        pytest.param(CHINA, "2030-10-05", False, id="fallback-saturday"),
        pytest.param(WEEKENDS, "2025-09-28", False, id="weekends-sunday"),
        pytest.param(WEEKENDS, "2025-10-01", True, id="weekends-ignores-national-day"),
        pytest.param(WEEKENDS, "2025-09-27", False, id="weekends-saturday"),
        pytest.param(NONE, "2025-09-27", True, id="none-saturday"),
        pytest.param(NONE, "2025-10-01", True, id="none-national-day"),
    ],
)
def test_is_working_day(calendar: WorkdayCalendar, day: str, working: bool) -> None:
    assert calendar.is_working_day(D(day)) is working


@pytest.mark.parametrize("kind", list(CalendarKind))
def test_company_workdays_win_over_company_holidays_and_statutory(kind: CalendarKind) -> None:
    national_day, monday, both = D("2025-10-01"), D("2025-10-13"), D("2025-10-14")
    calendar = WorkdayCalendar(
        kind,
        extra_holidays=frozenset({monday, both}),
        extra_workdays=frozenset({national_day, both, D("2025-10-04")}),
    )
    assert calendar.is_working_day(national_day)
    assert calendar.is_working_day(D("2025-10-04"))  # a Saturday inside the holiday
    assert not calendar.is_working_day(monday)
    assert calendar.is_working_day(both)


def test_constructor_accepts_strings_and_sets() -> None:
    calendar = WorkdayCalendar("china", extra_holidays={D("2025-03-03")})  # type: ignore[arg-type]
    assert calendar.kind is CalendarKind.CHINA
    assert isinstance(calendar.extra_holidays, frozenset)
    assert not calendar.is_working_day(D("2025-03-03"))
    hash(calendar)


@pytest.mark.parametrize(
    ("calendar", "year", "source"),
    [
        pytest.param(NONE, 2025, "none", id="none"),
        pytest.param(WEEKENDS, 2030, "weekends", id="weekends"),
        pytest.param(CHINA, 2025, "chinese_calendar", id="china-covered"),
        pytest.param(CHINA, 2030, "holidays", id="china-fallback"),
    ],
)
def test_source_for(calendar: WorkdayCalendar, year: int, source: str) -> None:
    assert calendar.source_for(year) == source


def test_years_without_adjusted_workdays() -> None:
    assert CHINA.years_without_adjusted_workdays([2031, 2025, 2030, 2030, 2024]) == [2030, 2031]
    assert WEEKENDS.years_without_adjusted_workdays([2030, 2031]) == []
    assert NONE.years_without_adjusted_workdays(range(2020, 2040)) == []


def test_fallback_warns_once_per_year(fresh_caches: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=workdays.__name__):
        for day in ("2030-01-02", "2030-06-03", "2030-12-31", "2031-03-03", "2025-03-03"):
            CHINA.is_working_day(D(day))
        CHINA.source_for(2030)
    warned = [r.getMessage() for r in caplog.records if r.name == workdays.__name__]
    assert len(warned) == 2
    assert "2030" in warned[0]
    assert "2031" in warned[1]
    assert all("adjusted workdays" in message for message in warned)


def test_each_year_is_computed_once(fresh_caches: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = holidays.country_holidays

    def counting(country: str, *, years: int) -> object:
        calls.append(years)
        return real(country, years=years)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    for day in range(1, 29):
        CHINA.is_working_day(date(2030, 2, day))
        CHINA.is_working_day(date(2031, 2, day))
    assert calls == [2030, 2031]


def test_precedence_company_days_then_loaded_notice_then_libraries() -> None:
    # A made-up 2025 notice that disagrees with chinese-calendar on two days, and a
    # company day on one of them.
    loaded = NationalYear(
        2025, holidays=frozenset({D("2025-03-03")}), workdays=frozenset({D("2025-03-08")})
    )
    calendar = WorkdayCalendar(
        CalendarKind.CHINA, extra_workdays=frozenset({D("2025-03-03")}), national=(loaded,)
    )
    assert calendar.is_working_day(D("2025-03-03"))  # company working day beats the notice
    assert calendar.is_working_day(D("2025-03-08"))  # the notice beats chinese-calendar
    assert calendar.is_working_day(D("2025-01-28"))  # a loaded year decides all its days
    assert not calendar.is_working_day(D("2025-03-09"))  # an ordinary Sunday
    assert calendar.source_for(2025) == "notice"
    assert calendar.source_for(2024) == "chinese_calendar"
    assert not calendar.is_working_day(D("2024-02-12"))  # other years: the libraries


def test_a_loaded_notice_decides_the_new_year_days_it_names_in_the_year_before() -> None:
    loaded = NationalYear(2031, holidays=frozenset({D("2030-12-31")}), workdays=frozenset())
    calendar = WorkdayCalendar(CalendarKind.CHINA, national=(loaded,))
    assert not calendar.is_working_day(D("2030-12-31"))  # a Tuesday
    assert calendar.source_for(2030) == "holidays"
