"""Reads of the policy that planning, reminders and pages share."""

from __future__ import annotations

import datetime

from huifang.core.holiday_notice import HOLIDAY, WORKDAY
from huifang.core.workdays import (
    SOURCE_NOTICE,
    MarkedDay,
    WorkdayCalendar,
    library_days,
)
from huifang.core.workdays import NationalYear as LoadedYear
from huifang.policy.models import (
    CompanyDay,
    CompanyDayKind,
    NationalYear,
    Policy,
    PolicyVersion,
)
from huifang.visits.scheduling import Anchor, Phase, PolicySpec, VisitRuleSpec

SOURCE_COMPANY = "company"


def version_in_force(policy: Policy, *, on: datetime.date) -> PolicyVersion | None:
    """The published version effective on ``on``; before the first one takes effect,
    the earliest published version (a new company still needs a plan)."""
    published = PolicyVersion.objects.published().filter(policy=policy)
    current = published.filter(effective_from__lte=on).order_by("-effective_from", "-number")
    return current.first() or published.order_by("effective_from", "number").first()


def policy_spec(version: PolicyVersion) -> PolicySpec:
    """The engine's view of a version (reads its rules: one query unless prefetched)."""
    rules = tuple(
        VisitRuleSpec(
            phase=Phase(rule.phase),
            anchor=Anchor(rule.anchor),
            offset_days=rule.offset_days,
            window_days=rule.window_days,
        )
        for rule in version.rules.all()
    )
    return PolicySpec(
        rules=rules,
        ongoing_clearance_days=version.ongoing_clearance_days,
        rolling_horizon_days=version.rolling_horizon_days,
    )


def workday_calendar(version: PolicyVersion) -> WorkdayCalendar:
    """The version's calendar with the company's own holidays and working days."""
    holidays: set[datetime.date] = set()
    workdays: set[datetime.date] = set()
    for day, kind in CompanyDay.objects.values_list("date", "kind"):
        (holidays if kind == CompanyDayKind.HOLIDAY else workdays).add(day)
    return WorkdayCalendar(
        kind=version.calendar,  # type: ignore[arg-type]
        extra_holidays=frozenset(holidays),
        extra_workdays=frozenset(workdays),
        national=loaded_national_years(),
    )


def loaded_national_years() -> tuple[LoadedYear, ...]:
    """The years loaded from the official notice, as the working-day calendar takes them."""
    return tuple(
        LoadedYear(
            year=year,
            holidays=national_dates(days, HOLIDAY),
            workdays=national_dates(days, WORKDAY),
        )
        for year, days in NationalYear.objects.order_by("year").values_list("year", "days")
    )


def national_dates(days: list[dict[str, str]], kind: str) -> frozenset[datetime.date]:
    """The dates of one kind in a stored year's ``days``."""
    return frozenset(
        datetime.date.fromisoformat(day["date"]) for day in days if day["kind"] == kind
    )


def marked_days(first: datetime.date, last: datetime.date) -> dict[datetime.date, MarkedDay]:
    """The holidays and adjusted workdays between two dates, each from the source that
    decides it (company days > loaded national days > chinese-calendar > holidays), for
    the calendar page and ``huifang calendar show``. Two queries whatever the span."""
    loaded = dict(
        NationalYear.objects.filter(year__gte=first.year - 1, year__lte=last.year + 1)
        .order_by("year")
        .values_list("year", "days")
    )
    found: dict[datetime.date, MarkedDay] = {}
    for year in range(first.year, last.year + 1):
        if year not in loaded:
            found.update((day.date, day) for day in library_days(year))
    # Loaded years, and the neighbouring days their notices name (New Year's Eve), win
    # over the libraries as they do in WorkdayCalendar.is_working_day.
    for days in loaded.values():
        for day in days:
            date = datetime.date.fromisoformat(day["date"])
            found[date] = MarkedDay(date, day["kind"], day.get("name", ""), SOURCE_NOTICE)
    for date, kind, name in CompanyDay.objects.filter(date__gte=first, date__lte=last).values_list(
        "date", "kind", "name"
    ):
        found[date] = MarkedDay(
            date, HOLIDAY if kind == CompanyDayKind.HOLIDAY else WORKDAY, name, SOURCE_COMPANY
        )
    return {date: day for date, day in sorted(found.items()) if first <= date <= last}
