"""Reads of the policy that planning, reminders and pages share."""

from __future__ import annotations

import datetime

from huifang.core.workdays import WorkdayCalendar
from huifang.policy.models import CompanyDay, CompanyDayKind, Policy, PolicyVersion
from huifang.visits.scheduling import Anchor, Phase, PolicySpec, VisitRuleSpec


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
    )
