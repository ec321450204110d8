"""The schedule engine: a project's dates and a policy in, the visits it should have out.

Why it is shaped this way:

* Pure functions over frozen specs. The plan service re-plans whenever a project's
  dates, status or policy change and again every night; the same input must give the
  same plan, and ``(phase, sequence)`` is the key that matches a freshly computed visit
  to the stored one, so re-planning updates visits in place and is idempotent.
* The ongoing grid is computed from the *unadjusted* kickoff due date and k, never by
  stepping from the previous visit: a holiday shift, a hold or a month-end clamp cannot
  make later visits drift, and ``(ongoing, k)`` always means the k-th slot of the grid.
* Working days move only the final due date, and preferably backwards inside the
  window, so the visit still happens in its period; only a window without any working
  day pushes the due date forward (and the next window then starts after it, so
  consecutive ongoing windows never overlap).
* Ongoing visits stop ``ongoing_clearance_days`` before the end so they do not crowd the
  closing visit; a project completed early therefore loses its later ongoing visits.
  An open-ended project is planned only up to a rolling horizon that moves with today.
* However far apart a project's dates are, a plan has at most ``MAX_ONGOING_VISITS``
  ongoing visits (the grid's first slots). The project services already refuse dates
  that would need more (ten years at most, within ten years of today); the cap keeps
  one plan bounded work even for data that predates those limits, since the plan
  service writes a project's visits in one transaction.
* A hold removes the slots that fall due during it instead of shifting the grid (keys
  stay stable); the first visit after it opens its window on the resume date, so no
  visit asks about time the project was not running.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

# The engine's enums live in a leaf module, so that models can store them without
# reaching up into visits; the engine's callers may keep importing them from here.
from huifang.core.plan_enums import Anchor, Cadence, Phase, ProjectStatus

WorkingDayPredicate = Callable[[date], bool]

_ONE_DAY = timedelta(days=1)
_MAX_FORWARD_SEARCH_DAYS = 3660
# Ten years and a half of biweekly visits (the longest project the services accept,
# or an open-ended one begun ten years ago, is planned with fewer).
MAX_ONGOING_VISITS = 300


_PHASE_ORDER = {
    Phase.KICKOFF: 0,
    Phase.ONGOING: 1,
    Phase.CLOSING: 2,
    Phase.AFTERCARE: 3,
}


@dataclass(frozen=True)
class VisitRuleSpec:
    phase: Phase
    anchor: Anchor
    offset_days: int
    window_days: int

    def __post_init__(self) -> None:
        if self.window_days < 0:
            raise ValueError(f"window_days must be >= 0, got {self.window_days}")


@dataclass(frozen=True)
class PolicySpec:
    rules: tuple[VisitRuleSpec, ...]
    ongoing_clearance_days: int = 7
    rolling_horizon_days: int = 180

    def __post_init__(self) -> None:
        phases = [rule.phase for rule in self.rules]
        if len(phases) != len(set(phases)):
            raise ValueError(f"at most one rule per phase, got {phases}")
        if self.ongoing_clearance_days < 0 or self.rolling_horizon_days < 0:
            raise ValueError("ongoing_clearance_days and rolling_horizon_days must be >= 0")

    def rule_for(self, phase: Phase) -> VisitRuleSpec | None:
        return next((rule for rule in self.rules if rule.phase == phase), None)


@dataclass(frozen=True)
class HoldPeriod:
    start: date
    end: date | None  # None: still on hold; else the resume date (first active day)

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"hold ends ({self.end}) before it starts ({self.start})")

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class ProjectSpec:
    planned_start: date | None
    planned_end: date | None
    actual_start: date | None
    actual_end: date | None
    status: ProjectStatus
    cadence: Cadence
    holds: tuple[HoldPeriod, ...] = ()


@dataclass(frozen=True, order=True)
class PlannedVisit:
    phase: Phase
    sequence: int
    window_start: date
    due_date: date

    @property
    def key(self) -> tuple[Phase, int]:
        return (self.phase, self.sequence)


def plan_visits(
    project: ProjectSpec,
    policy: PolicySpec,
    *,
    today: date,
    is_working_day: WorkingDayPredicate | None = None,
) -> list[PlannedVisit]:
    """Every generated visit the project should have, sorted by due date then phase."""
    start = project.actual_start or project.planned_start
    if start is None or project.status == ProjectStatus.CANCELLED:
        return []
    end = project.actual_end or project.planned_end
    visits: list[PlannedVisit] = []
    grid_base = start
    for rule in policy.rules:
        anchor = start if rule.anchor == Anchor.START else end
        if rule.phase == Phase.ONGOING or anchor is None:
            continue
        window_start = anchor + timedelta(days=rule.offset_days)
        due = window_start + timedelta(days=rule.window_days)
        if rule.phase == Phase.KICKOFF:
            grid_base = due
        if is_working_day is not None:
            due = adjust_to_working_day(
                window_start=window_start, due=due, is_working_day=is_working_day
            )
        visits.append(PlannedVisit(Phase(rule.phase), 1, window_start, due))
    if policy.rule_for(Phase.ONGOING) is not None:
        last_due = _last_ongoing_due(project, policy, end=end, today=today)
        holds = _effective_holds(project, today)
        visits.extend(_ongoing_visits(grid_base, project.cadence, last_due, holds, is_working_day))
    return sorted(visits, key=lambda v: (v.due_date, _PHASE_ORDER[v.phase], v.sequence))


def _last_ongoing_due(
    project: ProjectSpec, policy: PolicySpec, *, end: date | None, today: date
) -> date:
    """The latest date an ongoing visit may fall due (inclusive)."""
    if end is not None:
        return end - timedelta(days=policy.ongoing_clearance_days + 1)
    if project.status == ProjectStatus.COMPLETED:
        return today  # completed without any end date: nothing ahead
    return today + timedelta(days=policy.rolling_horizon_days)


def _effective_holds(project: ProjectSpec, today: date) -> tuple[HoldPeriod, ...]:
    """The recorded holds, plus an open one from today if the status says on hold."""
    holds = tuple(hold for hold in project.holds if hold.end != hold.start)
    if project.status == ProjectStatus.ON_HOLD and not any(h.covers(today) for h in holds):
        holds += (HoldPeriod(today, None),)
    return holds


def _ongoing_visits(
    base: date,
    cadence: Cadence,
    last_due: date,
    holds: tuple[HoldPeriod, ...],
    is_working_day: WorkingDayPredicate | None,
) -> Iterator[PlannedVisit]:
    previous_due: date | None = None  # final due of the last visit yielded
    for sequence, grid_start, grid_due in _ongoing_grid(base, cadence, last_due):
        window_start = grid_start
        if holds:  # most projects never pause: skip the hold checks for them
            if any(hold.covers(grid_due) for hold in holds):
                continue
            resumes = [h.end for h in holds if h.end is not None and h.end <= grid_due]
            window_start = max([grid_start, *resumes])
        if previous_due is not None and window_start <= previous_due:
            window_start = previous_due + _ONE_DAY
        if window_start > grid_due:
            continue  # the previous visit was pushed past this whole slot
        due = grid_due
        if is_working_day is not None and not is_working_day(due):
            due = adjust_to_working_day(
                window_start=window_start, due=due, is_working_day=is_working_day
            )
        if due > last_due or (holds and any(hold.covers(due) for hold in holds)):
            continue  # pushed forward into a hold or past the cut-off
        previous_due = due
        yield PlannedVisit(Phase.ONGOING, sequence, window_start, due)


def _ongoing_grid(base: date, cadence: Cadence, last_due: date) -> Iterator[tuple[int, date, date]]:
    """(k, window_start_k, due_k) on unadjusted dates while due_k <= last_due, for k up
    to ``MAX_ONGOING_VISITS``."""
    previous = base
    sequence = 1
    while sequence <= MAX_ONGOING_VISITS:
        try:
            if cadence == Cadence.BIWEEKLY:
                due = base + timedelta(days=14 * sequence)
            else:
                due = add_months(base, sequence)
        except (OverflowError, ValueError):  # past date.max
            return
        if due > last_due:
            return
        yield sequence, previous + _ONE_DAY, due
        previous = due
        sequence += 1


def adjust_to_working_day(
    *, window_start: date, due: date, is_working_day: WorkingDayPredicate
) -> date:
    """The latest working day in [window_start, due], else the first one after due."""
    if is_working_day(due):
        return due
    day = due
    while day > window_start:
        day -= _ONE_DAY
        if is_working_day(day):
            return day
    day = due
    for _ in range(_MAX_FORWARD_SEARCH_DAYS):
        day += _ONE_DAY
        if is_working_day(day):
            return day
    raise ValueError(f"no working day within {_MAX_FORWARD_SEARCH_DAYS} days after {due}")


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the end of the target month."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    if day.day <= 28:  # every month has it: no need to look the month's length up
        return date(year, month, day.day)
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))
