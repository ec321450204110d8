"""Working-day calendars for due-date adjustment.

A policy chooses how strict "working day" is: every day, Monday to Friday, or China's
statutory calendar, plus the company's own days off and working days (which win over
everything, in that order: a company working day beats a company holiday).

China's calendar is published year by year with adjusted workdays (调休: a weekend day
that is worked to bridge a holiday). ``chinese_calendar`` carries those but only for the
years it has data for; later years fall back to the ``holidays`` package's China
calendar, which knows the holidays but not the adjusted workdays. The fallback is logged
once per year and reported by :meth:`WorkdayCalendar.years_without_adjusted_workdays`
so the policy page can say so.

Planning thousands of projects asks "is this a working day?" very often, so each year's
days off are computed once per process and the question becomes a set lookup.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import chinese_calendar
import holidays

logger = logging.getLogger(__name__)

SOURCE_NONE = "none"
SOURCE_WEEKENDS = "weekends"
SOURCE_CHINESE_CALENDAR = "chinese_calendar"
SOURCE_HOLIDAYS = "holidays"


class CalendarKind(StrEnum):
    NONE = "none"
    WEEKENDS = "weekends"
    CHINA = "china"


@dataclass(frozen=True)
class WorkdayCalendar:
    kind: CalendarKind
    extra_holidays: frozenset[date] = frozenset()  # company-defined days off
    extra_workdays: frozenset[date] = frozenset()  # company-defined working days

    def __post_init__(self) -> None:
        # Accept plain strings and sets from callers; keep the instance hashable.
        object.__setattr__(self, "kind", CalendarKind(self.kind))
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if self.kind == CalendarKind.NONE:
            return True
        if self.kind == CalendarKind.WEEKENDS:
            return day.weekday() < 5
        return day not in _china_days_off(day.year)

    def source_for(self, year: int) -> str:
        """Which data source decides working days in ``year`` for this calendar."""
        if self.kind == CalendarKind.NONE:
            return SOURCE_NONE
        if self.kind == CalendarKind.WEEKENDS:
            return SOURCE_WEEKENDS
        return SOURCE_CHINESE_CALENDAR if chinese_calendar_covers(year) else SOURCE_HOLIDAYS

    def years_without_adjusted_workdays(self, years: Iterable[int]) -> list[int]:
        """The given years (sorted, unique) decided by ``holidays``, i.e. without 调休."""
        return sorted({year for year in years if self.source_for(year) == SOURCE_HOLIDAYS})


@functools.cache
def chinese_calendar_covers(year: int) -> bool:
    """Whether ``chinese_calendar`` has data for the whole of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
        chinese_calendar.is_workday(date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


@functools.cache
def _china_days_off(year: int) -> frozenset[date]:
    if chinese_calendar_covers(year):
        return frozenset(day for day in _days_of(year) if not chinese_calendar.is_workday(day))
    logger.warning(
        "Working days in %d use the holidays package's China calendar, "
        "which has no adjusted workdays (调休): chinese_calendar has no data for that year.",
        year,
    )
    statutory = frozenset(holidays.country_holidays("CN", years=year).keys())
    return frozenset(day for day in _days_of(year) if day.weekday() >= 5 or day in statutory)


def _days_of(year: int) -> Iterator[date]:
    first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
    return (date.fromordinal(ordinal) for ordinal in range(first, last + 1))
