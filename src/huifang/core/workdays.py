"""Working-day calendars for due-date adjustment.

A policy chooses how strict "working day" is: every day, Monday to Friday, or China's
statutory calendar, plus the company's own days off and working days (which win over
everything, in that order: a company working day beats a company holiday).

China's calendar is published year by year with adjusted workdays (调休: a weekend day
that is worked to bridge a holiday), in the State Council's notice. The sources, in
order of precedence: the company's own days; the national days a company loaded from
that notice (``national``, per year, see ``holiday_notice``); ``chinese_calendar``,
which carries the adjusted workdays but only for the years it has data for; and the
``holidays`` package's China calendar, which knows the holidays but not the adjusted
workdays. The last fallback is logged once per year and reported by
:meth:`WorkdayCalendar.years_without_adjusted_workdays` so the pages can say so.

A loaded year decides every day of its calendar year (a day it does not name is an
ordinary day: Monday to Friday work, weekends off). A notice also names the days of
the neighbouring year that belong to its New Year holiday (2022-12-31 in the 2023
notice); those win for that day whatever source decides the rest of its year.

Planning thousands of projects asks "is this a working day?" very often, so each year's
days off are computed once per process and the question becomes a set lookup.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import chinese_calendar
import holidays

logger = logging.getLogger(__name__)

SOURCE_NONE = "none"
SOURCE_WEEKENDS = "weekends"
SOURCE_CHINESE_CALENDAR = "chinese_calendar"
SOURCE_HOLIDAYS = "holidays"
SOURCE_NOTICE = "notice"


@dataclass(frozen=True)
class NationalYear:
    """A year's national days as loaded from the official notice."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]


class CalendarKind(StrEnum):
    NONE = "none"
    WEEKENDS = "weekends"
    CHINA = "china"


@dataclass(frozen=True)
class WorkdayCalendar:
    kind: CalendarKind
    extra_holidays: frozenset[date] = frozenset()  # company-defined days off
    extra_workdays: frozenset[date] = frozenset()  # company-defined working days
    national: tuple[NationalYear, ...] = ()  # years loaded from the official notice
    # Derived from ``national`` once: planning asks about days far more often.
    _national_days: dict[date, bool] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )
    _national_years: frozenset[int] = field(
        init=False, repr=False, compare=False, hash=False, default=frozenset()
    )

    def __post_init__(self) -> None:
        # Accept plain strings and sets from callers; keep the instance hashable.
        object.__setattr__(self, "kind", CalendarKind(self.kind))
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))
        object.__setattr__(self, "national", tuple(self.national))
        verdicts: dict[date, bool] = {}
        for loaded in self.national:
            verdicts.update(dict.fromkeys(loaded.holidays, False))
            verdicts.update(dict.fromkeys(loaded.workdays, True))
        object.__setattr__(self, "_national_days", verdicts)
        object.__setattr__(self, "_national_years", frozenset(y.year for y in self.national))

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if self.kind == CalendarKind.NONE:
            return True
        if self.kind == CalendarKind.WEEKENDS:
            return day.weekday() < 5
        verdict = self._national_days.get(day)
        if verdict is not None:
            return verdict
        if day.year in self._national_years:
            return day.weekday() < 5
        return day not in _china_days_off(day.year)

    def national_day(self, day: date) -> str | None:
        """ "holiday" or "workday" when a loaded notice names ``day``, else None."""
        verdict = self._national_days.get(day)
        return None if verdict is None else ("workday" if verdict else "holiday")

    def source_for(self, year: int) -> str:
        """Which data source decides working days in ``year`` for this calendar."""
        if self.kind == CalendarKind.NONE:
            return SOURCE_NONE
        if self.kind == CalendarKind.WEEKENDS:
            return SOURCE_WEEKENDS
        if year in self._national_years:
            return SOURCE_NOTICE
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


@dataclass(frozen=True)
class MarkedDay:
    """A day a calendar page or ``huifang calendar show`` marks, and who says so."""

    date: date
    kind: str  # "holiday" or "workday"
    name: str
    source: str  # SOURCE_NOTICE, SOURCE_CHINESE_CALENDAR, SOURCE_HOLIDAYS or "company"


def library_days(year: int) -> list[MarkedDay]:
    """The national holidays and adjusted workdays the libraries know for ``year``."""
    if chinese_calendar_covers(year):
        marked = [
            MarkedDay(day, "holiday", str(name), SOURCE_CHINESE_CALENDAR)
            for day, name in chinese_calendar.holidays.items()
            if day.year == year
        ]
        marked += [
            MarkedDay(day, "workday", str(name), SOURCE_CHINESE_CALENDAR)
            for day, name in chinese_calendar.workdays.items()
            if day.year == year
        ]
    else:
        marked = [
            MarkedDay(day, "holiday", str(name), SOURCE_HOLIDAYS)
            for day, name in holidays.country_holidays("CN", years=year).items()
        ]
    return sorted(marked, key=lambda day: day.date)
