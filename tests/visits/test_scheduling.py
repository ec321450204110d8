"""The schedule engine: worked examples (hand-computed) and properties (Hypothesis)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huifang.core.workdays import CalendarKind, WorkdayCalendar
from huifang.visits.scheduling import (
    MAX_ONGOING_VISITS,
    Anchor,
    Cadence,
    HoldPeriod,
    Phase,
    PlannedVisit,
    PolicySpec,
    ProjectSpec,
    ProjectStatus,
    VisitRuleSpec,
    add_months,
    adjust_to_working_day,
    plan_visits,
)

D = date.fromisoformat
KICK, ONGO, CLOSE, AFTER = Phase.KICKOFF, Phase.ONGOING, Phase.CLOSING, Phase.AFTERCARE

KICKOFF = VisitRuleSpec(KICK, Anchor.START, 0, 7)
ONGOING = VisitRuleSpec(ONGO, Anchor.START, 0, 0)
CLOSING = VisitRuleSpec(CLOSE, Anchor.END, 0, 7)
AFTERCARE = VisitRuleSpec(AFTER, Anchor.END, 90, 14)
DEFAULT = PolicySpec(rules=(KICKOFF, ONGOING, CLOSING))
CHINA = WorkdayCalendar(CalendarKind.CHINA)
WEEKENDS = WorkdayCalendar(CalendarKind.WEEKENDS)

Row = tuple[Phase, int, str, str]


def project(
    start: str | None = "2025-03-03",
    end: str | None = "2025-06-30",
    *,
    status: ProjectStatus = ProjectStatus.ACTIVE,
    cadence: Cadence = Cadence.BIWEEKLY,
    actual_start: str | None = None,
    actual_end: str | None = None,
    holds: tuple[HoldPeriod, ...] = (),
) -> ProjectSpec:
    def opt(value: str | None) -> date | None:
        return None if value is None else D(value)

    return ProjectSpec(
        planned_start=opt(start),
        planned_end=opt(end),
        actual_start=opt(actual_start),
        actual_end=opt(actual_end),
        status=status,
        cadence=cadence,
        holds=holds,
    )


def rows(visits: list[PlannedVisit]) -> list[Row]:
    return [
        (v.phase, v.sequence, v.window_start.isoformat(), v.due_date.isoformat()) for v in visits
    ]


# The biweekly project 2025-03-03 (Mon) .. 2025-06-30: kickoff due 03-10, then every 14 days
# while due < 06-30 - 7 = 06-23.
BIWEEKLY_ONGOING: list[Row] = [
    (ONGO, 1, "2025-03-11", "2025-03-24"),
    (ONGO, 2, "2025-03-25", "2025-04-07"),
    (ONGO, 3, "2025-04-08", "2025-04-21"),
    (ONGO, 4, "2025-04-22", "2025-05-05"),
    (ONGO, 5, "2025-05-06", "2025-05-19"),
    (ONGO, 6, "2025-05-20", "2025-06-02"),
    (ONGO, 7, "2025-06-03", "2025-06-16"),
]
BIWEEKLY_KICKOFF: Row = (KICK, 1, "2025-03-03", "2025-03-10")
BIWEEKLY_CLOSING: Row = (CLOSE, 1, "2025-06-30", "2025-07-07")

WORKED_EXAMPLES = [
    pytest.param(
        project(),
        PolicySpec(rules=(KICKOFF,)),
        "2025-03-01",
        None,
        [BIWEEKLY_KICKOFF],
        id="kickoff-only",
    ),
    pytest.param(
        project(),
        PolicySpec(rules=(CLOSING,)),
        "2025-03-01",
        None,
        [BIWEEKLY_CLOSING],
        id="closing-only",
    ),
    pytest.param(
        project(),
        PolicySpec(rules=(AFTERCARE,)),
        "2025-03-01",
        None,
        [(AFTER, 1, "2025-09-28", "2025-10-12")],
        id="aftercare-only",
    ),
    pytest.param(
        project(),
        PolicySpec(rules=(ONGOING,)),
        "2025-03-01",
        None,
        # no kickoff rule: the grid is based on the start date itself; k = 8 (06-23) is
        # not < 06-30 - 7
        [
            (
                ONGO,
                k,
                (D("2025-03-04") + timedelta(14 * (k - 1))).isoformat(),
                (D("2025-03-03") + timedelta(14 * k)).isoformat(),
            )
            for k in range(1, 8)
        ],
        id="ongoing-only-grid-from-start",
    ),
    pytest.param(
        project(),
        DEFAULT,
        "2025-03-01",
        None,
        [BIWEEKLY_KICKOFF, *BIWEEKLY_ONGOING, BIWEEKLY_CLOSING],
        id="biweekly-default-policy",
    ),
    pytest.param(
        project(),
        DEFAULT,
        "2025-03-01",
        WEEKENDS.is_working_day,
        [BIWEEKLY_KICKOFF, *BIWEEKLY_ONGOING, BIWEEKLY_CLOSING],
        id="biweekly-all-mondays-unchanged-by-weekends",
    ),
    pytest.param(
        project(),
        PolicySpec(rules=(KICKOFF, ONGOING, CLOSING, AFTERCARE)),
        "2025-03-01",
        None,
        [
            BIWEEKLY_KICKOFF,
            *BIWEEKLY_ONGOING,
            BIWEEKLY_CLOSING,
            (AFTER, 1, "2025-09-28", "2025-10-12"),
        ],
        id="aftercare-end-plus-90-window-14",
    ),
    pytest.param(
        project("2025-01-31", "2025-08-31", cadence=Cadence.MONTHLY),
        PolicySpec(rules=(ONGOING, CLOSING)),
        "2025-01-01",
        None,
        [
            (ONGO, 1, "2025-02-01", "2025-02-28"),
            (ONGO, 2, "2025-03-01", "2025-03-31"),
            (ONGO, 3, "2025-04-01", "2025-04-30"),
            (ONGO, 4, "2025-05-01", "2025-05-31"),
            (ONGO, 5, "2025-06-01", "2025-06-30"),
            (ONGO, 6, "2025-07-01", "2025-07-31"),
            # 08-31 is not < 08-31 - 7
            (CLOSE, 1, "2025-08-31", "2025-09-07"),
        ],
        id="monthly-month-end-clamping",
    ),
    pytest.param(
        project("2025-01-31", "2025-05-31", cadence=Cadence.MONTHLY),
        DEFAULT,
        "2025-01-01",
        None,
        [
            (KICK, 1, "2025-01-31", "2025-02-07"),
            (ONGO, 1, "2025-02-08", "2025-03-07"),
            (ONGO, 2, "2025-03-08", "2025-04-07"),
            (ONGO, 3, "2025-04-08", "2025-05-07"),
            # 06-07 is past 05-24
            (CLOSE, 1, "2025-05-31", "2025-06-07"),
        ],
        id="monthly-default-policy",
    ),
    pytest.param(
        project("2025-09-26", "2025-12-31"),
        DEFAULT,
        "2025-09-01",
        CHINA.is_working_day,
        [
            # 10-03 is in the National Day holiday (10-01..10-08): back to Tuesday 09-30
            (KICK, 1, "2025-09-26", "2025-09-30"),
            # the grid continues from the unadjusted kickoff due 10-03
            (ONGO, 1, "2025-10-04", "2025-10-17"),
            (ONGO, 2, "2025-10-18", "2025-10-31"),
            (ONGO, 3, "2025-11-01", "2025-11-14"),
            (ONGO, 4, "2025-11-15", "2025-11-28"),
            (ONGO, 5, "2025-11-29", "2025-12-12"),
            (CLOSE, 1, "2025-12-31", "2026-01-07"),
        ],
        id="china-kickoff-due-in-national-day",
    ),
    pytest.param(
        project("2025-09-21", None),
        PolicySpec(rules=(KICKOFF,)),
        "2025-09-01",
        CHINA.is_working_day,
        [(KICK, 1, "2025-09-21", "2025-09-28")],
        id="china-adjusted-workday-sunday-stays",
    ),
    pytest.param(
        project("2025-09-21", None),
        PolicySpec(rules=(KICKOFF,)),
        "2025-09-01",
        WEEKENDS.is_working_day,
        [(KICK, 1, "2025-09-21", "2025-09-26")],
        id="weekends-sunday-moves-back-to-friday",
    ),
    pytest.param(
        project("2025-10-01", None),
        PolicySpec(rules=(KICKOFF,)),
        "2025-09-01",
        CHINA.is_working_day,
        # the whole window 10-01..10-08 is holiday: the first working day after the due
        [(KICK, 1, "2025-10-01", "2025-10-09")],
        id="china-window-without-working-day-moves-forward",
    ),
    pytest.param(
        project("2030-09-26", None),
        PolicySpec(rules=(KICKOFF,)),
        "2030-09-01",
        CHINA.is_working_day,
        # beyond chinese_calendar's data: the holidays package's National Day 10-01..10-03
        [(KICK, 1, "2030-09-26", "2030-09-30")],
        id="china-fallback-year",
    ),
    pytest.param(
        project(actual_end="2025-05-15", status=ProjectStatus.COMPLETED),
        DEFAULT,
        "2025-05-20",
        None,
        # ongoing only while due < 05-15 - 7 = 05-08; closing anchored on the actual end
        [BIWEEKLY_KICKOFF, *BIWEEKLY_ONGOING[:4], (CLOSE, 1, "2025-05-15", "2025-05-22")],
        id="completed-early",
    ),
    pytest.param(
        project(actual_start="2025-03-10"),
        PolicySpec(rules=(KICKOFF,)),
        "2025-03-01",
        None,
        [(KICK, 1, "2025-03-10", "2025-03-17")],
        id="actual-start-wins",
    ),
    pytest.param(
        project(holds=(HoldPeriod(D("2025-04-01"), D("2025-05-01")),)),
        DEFAULT,
        "2025-05-02",
        None,
        [
            BIWEEKLY_KICKOFF,
            BIWEEKLY_ONGOING[0],
            # 04-07 and 04-21 fall due while on hold; the next window opens on resumption
            (ONGO, 4, "2025-05-01", "2025-05-05"),
            *BIWEEKLY_ONGOING[4:],
            BIWEEKLY_CLOSING,
        ],
        id="held-and-resumed",
    ),
    pytest.param(
        project(holds=(HoldPeriod(D("2025-03-24"), D("2025-04-07")),)),
        DEFAULT,
        "2025-05-02",
        None,
        [
            BIWEEKLY_KICKOFF,
            # due on the hold's first day: held; due on the resume date: a one-day window
            (ONGO, 2, "2025-04-07", "2025-04-07"),
            *BIWEEKLY_ONGOING[2:],
            BIWEEKLY_CLOSING,
        ],
        id="hold-boundaries",
    ),
    pytest.param(
        project(
            status=ProjectStatus.ON_HOLD, holds=(HoldPeriod(D("2025-04-01"), D("2025-05-01")),)
        ),
        DEFAULT,
        "2025-04-10",
        None,
        # on hold today with a known resume date: that hold decides, no open hold is added
        [
            BIWEEKLY_KICKOFF,
            BIWEEKLY_ONGOING[0],
            (ONGO, 4, "2025-05-01", "2025-05-05"),
            *BIWEEKLY_ONGOING[4:],
            BIWEEKLY_CLOSING,
        ],
        id="on-hold-with-known-resume-date",
    ),
    pytest.param(
        project(status=ProjectStatus.ON_HOLD),
        DEFAULT,
        "2025-04-10",
        None,
        [BIWEEKLY_KICKOFF, *BIWEEKLY_ONGOING[:2], BIWEEKLY_CLOSING],
        id="on-hold-status-holds-from-today",
    ),
    pytest.param(
        project(status=ProjectStatus.ON_HOLD, holds=(HoldPeriod(D("2025-04-01"), None),)),
        DEFAULT,
        "2025-04-10",
        None,
        [BIWEEKLY_KICKOFF, BIWEEKLY_ONGOING[0], BIWEEKLY_CLOSING],
        id="on-hold-open-hold-period",
    ),
    pytest.param(
        project(status=ProjectStatus.CANCELLED),
        DEFAULT,
        "2025-04-10",
        None,
        [],
        id="cancelled",
    ),
    pytest.param(project(start=None), DEFAULT, "2025-04-10", None, [], id="no-start"),
    pytest.param(
        project(end=None),
        replace(DEFAULT, rolling_horizon_days=30),
        "2025-03-20",
        None,
        # up to 03-20 + 30 = 04-19; no end, so no closing
        [BIWEEKLY_KICKOFF, *BIWEEKLY_ONGOING[:2]],
        id="open-ended-rolling-horizon",
    ),
]


@pytest.mark.parametrize(("spec", "policy", "today", "is_working_day", "expected"), WORKED_EXAMPLES)
def test_worked_examples(
    spec: ProjectSpec,
    policy: PolicySpec,
    today: str,
    is_working_day: Callable[[date], bool] | None,
    expected: list[Row],
) -> None:
    visits = plan_visits(spec, policy, today=D(today), is_working_day=is_working_day)
    assert rows(visits) == expected


def test_open_ended_default_horizon_rolls_with_today() -> None:
    spec = project(end=None)
    march = plan_visits(spec, DEFAULT, today=D("2025-03-20"))
    april = plan_visits(spec, DEFAULT, today=D("2025-04-20"))
    # 03-20 + 180 = 09-16: the last due is 09-08 (k = 13); a month later two more slots
    assert [v.due_date for v in march if v.phase == ONGO][-1] == D("2025-09-08")
    assert [v.sequence for v in march if v.phase == ONGO] == list(range(1, 14))
    assert [v.sequence for v in april if v.phase == ONGO] == list(range(1, 16))
    assert april[: len(march)] == march


def test_equal_due_dates_sort_by_phase_then_sequence() -> None:
    policy = PolicySpec(
        rules=(
            VisitRuleSpec(AFTER, Anchor.START, 0, 0),
            VisitRuleSpec(CLOSE, Anchor.START, 14, 0),
            ONGOING,
            VisitRuleSpec(KICK, Anchor.START, 0, 0),
        )
    )
    visits = plan_visits(project(), policy, today=D("2025-03-01"))
    assert [(v.phase, v.sequence, v.due_date.isoformat()) for v in visits[:4]] == [
        (KICK, 1, "2025-03-03"),
        (AFTER, 1, "2025-03-03"),
        (ONGO, 1, "2025-03-17"),
        (CLOSE, 1, "2025-03-17"),
    ]


def test_long_company_shutdown_pushes_due_and_next_window() -> None:
    # A three-week shutdown covers the whole window of ongoing visit 2 (03-25..04-07):
    # its due moves to the first working day after it and visit 3's window starts later.
    shutdown = frozenset(D("2025-03-24") + timedelta(days=n) for n in range(21))
    calendar = WorkdayCalendar(CalendarKind.WEEKENDS, extra_holidays=shutdown)
    visits = plan_visits(
        project(), DEFAULT, today=D("2025-03-01"), is_working_day=calendar.is_working_day
    )
    assert rows(visits)[1:4] == [
        (ONGO, 1, "2025-03-11", "2025-03-21"),
        (ONGO, 2, "2025-03-25", "2025-04-14"),
        (ONGO, 3, "2025-04-15", "2025-04-21"),
    ]


def shutdown(first: str, last: str) -> WorkdayCalendar:
    days_off = frozenset(D(first) + timedelta(n) for n in range((D(last) - D(first)).days + 1))
    return WorkdayCalendar(CalendarKind.WEEKENDS, extra_holidays=days_off)


def test_due_pushed_past_the_cutoff_is_dropped() -> None:
    # visit 7's whole window 06-03..06-16 is shut: its due would move to 06-25, past 06-22
    works = shutdown("2025-06-03", "2025-06-24").is_working_day
    visits = plan_visits(project(), DEFAULT, today=D("2025-03-01"), is_working_day=works)
    assert rows(visits) == [BIWEEKLY_KICKOFF, *BIWEEKLY_ONGOING[:6], BIWEEKLY_CLOSING]


def test_due_pushed_into_a_hold_is_dropped() -> None:
    # visit 5's window 05-06..05-19 is shut: its due would move to 05-22, inside the hold
    spec = project(end="2025-12-31", holds=(HoldPeriod(D("2025-05-21"), D("2025-06-10")),))
    works = shutdown("2025-05-06", "2025-05-21").is_working_day
    visits = plan_visits(spec, DEFAULT, today=D("2025-03-01"), is_working_day=works)
    assert rows(visits)[4:7] == [
        BIWEEKLY_ONGOING[3],
        (ONGO, 7, "2025-06-10", "2025-06-16"),
        (ONGO, 8, "2025-06-17", "2025-06-30"),
    ]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2025-01-31", 1, "2025-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-01-31", 2, "2025-03-31"),
        ("2025-01-31", 3, "2025-04-30"),
        ("2025-01-31", 13, "2026-02-28"),
        ("2025-12-15", 1, "2026-01-15"),
        ("2025-03-31", -1, "2025-02-28"),
        ("2025-01-15", -1, "2024-12-15"),
        ("2025-05-31", 0, "2025-05-31"),
    ],
)
def test_add_months(day: str, months: int, expected: str) -> None:
    assert add_months(D(day), months) == D(expected)


@pytest.mark.parametrize(
    ("window_start", "due", "expected"),
    [
        pytest.param("2025-09-29", "2025-10-03", "2025-09-30", id="back-inside-window"),
        pytest.param("2025-09-26", "2025-09-28", "2025-09-28", id="adjusted-workday-kept"),
        pytest.param("2025-10-02", "2025-10-05", "2025-10-09", id="forward-when-window-empty"),
        pytest.param("2025-10-03", "2025-10-03", "2025-10-09", id="one-day-window"),
        pytest.param("2025-10-09", "2025-10-09", "2025-10-09", id="working-due-untouched"),
    ],
)
def test_adjust_to_working_day(window_start: str, due: str, expected: str) -> None:
    adjusted = adjust_to_working_day(
        window_start=D(window_start), due=D(due), is_working_day=CHINA.is_working_day
    )
    assert adjusted == D(expected)


def test_adjust_gives_up_on_a_calendar_without_working_days() -> None:
    with pytest.raises(ValueError, match="no working day"):
        adjust_to_working_day(
            window_start=D("2025-01-01"), due=D("2025-01-02"), is_working_day=lambda _: False
        )


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: VisitRuleSpec(KICK, Anchor.START, 0, -1), id="negative-window"),
        pytest.param(lambda: PolicySpec(rules=(KICKOFF, KICKOFF)), id="two-rules-one-phase"),
        pytest.param(lambda: PolicySpec(rules=(), ongoing_clearance_days=-1), id="neg-clearance"),
        pytest.param(lambda: HoldPeriod(D("2025-03-02"), D("2025-03-01")), id="hold-backwards"),
    ],
)
def test_invalid_specs_are_rejected(build: object) -> None:
    with pytest.raises(ValueError, match=r"must be|at most one|before it starts"):
        build()  # type: ignore[operator]


# --- properties -----------------------------------------------------------------------------

FIRST, LAST = date(2020, 1, 1), date(2032, 12, 31)
dates = st.dates(FIRST, LAST)
offsets = st.integers(-30, 30).map(lambda n: timedelta(days=n))


@dataclass(frozen=True)
class Scenario:
    project: ProjectSpec
    policy: PolicySpec
    today: date
    calendar: WorkdayCalendar | None

    def plan(self) -> list[PlannedVisit]:
        works = None if self.calendar is None else self.calendar.is_working_day
        return plan_visits(self.project, self.policy, today=self.today, is_working_day=works)

    def unadjusted(self) -> list[PlannedVisit]:
        return plan_visits(self.project, self.policy, today=self.today)


@st.composite
def holds(draw: st.DrawFn, start: date) -> HoldPeriod:
    begin = start + timedelta(days=draw(st.integers(-30, 820)))
    length = draw(st.none() | st.integers(0, 120))
    return HoldPeriod(begin, None if length is None else begin + timedelta(days=length))


@st.composite
def projects(draw: st.DrawFn) -> ProjectSpec:
    start = draw(dates)
    end = start + timedelta(days=draw(st.integers(0, 800)))
    actual_start = draw(st.none() | offsets.map(lambda d: start + d))
    actual_end = draw(st.none() | st.integers(-400, 60).map(lambda n: end + timedelta(days=n)))
    return ProjectSpec(
        planned_start=draw(st.sampled_from([start, None])) if actual_start else start,
        planned_end=draw(st.sampled_from([end, None])),
        actual_start=actual_start,
        actual_end=actual_end,
        status=draw(st.sampled_from(ProjectStatus)),
        cadence=draw(st.sampled_from(Cadence)),
        holds=tuple(draw(st.lists(holds(start), max_size=3))),
    )


@st.composite
def policies(draw: st.DrawFn) -> PolicySpec:
    if draw(st.booleans()):
        return DEFAULT
    windows = st.integers(0, 21)
    candidates = [
        VisitRuleSpec(KICK, Anchor.START, draw(st.integers(-7, 14)), draw(windows)),
        ONGOING,
        VisitRuleSpec(
            CLOSE, draw(st.sampled_from(Anchor)), draw(st.integers(-14, 14)), draw(windows)
        ),
        VisitRuleSpec(AFTER, Anchor.END, draw(st.integers(0, 120)), draw(windows)),
    ]
    chosen = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=4))
    return PolicySpec(
        rules=tuple(chosen),
        ongoing_clearance_days=draw(st.integers(0, 14)),
        rolling_horizon_days=draw(st.integers(0, 365)),
    )


@st.composite
def calendars(draw: st.DrawFn, start: date) -> WorkdayCalendar | None:
    """Random company days near the project, including shutdowns long enough to cover a window."""
    kind = draw(st.none() | st.sampled_from(CalendarKind))
    if kind is None:
        return None
    near = st.integers(-30, 900).map(lambda n: start + timedelta(days=n))
    shutdowns = st.tuples(near, st.integers(1, 35))
    days_off = set(draw(st.lists(near, max_size=20)))
    for first, length in draw(st.lists(shutdowns, max_size=2)):
        days_off.update(first + timedelta(days=n) for n in range(length))
    return WorkdayCalendar(
        kind,
        extra_holidays=frozenset(days_off),
        extra_workdays=frozenset(draw(st.lists(near, max_size=5))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    spec = draw(projects())
    start = spec.planned_start or spec.actual_start
    assert start is not None
    today = start + timedelta(days=draw(st.integers(-60, 900)))
    return Scenario(spec, draw(policies()), today, draw(calendars(start)))


PROPERTY = settings(max_examples=200, deadline=None)


def effective_end(scenario: Scenario) -> date | None:
    return scenario.project.actual_end or scenario.project.planned_end


def held(day: date, holds: list[HoldPeriod]) -> bool:
    """On hold from the hold's start up to (not including) the resume date."""
    return any(h.start <= day and (h.end is None or day < h.end) for h in holds)


def effective_holds(scenario: Scenario) -> list[HoldPeriod]:
    spec, today = scenario.project, scenario.today
    holds = [h for h in spec.holds if h.start != h.end]  # paused and resumed the same day
    if spec.status == ProjectStatus.ON_HOLD and not held(today, holds):
        holds.append(HoldPeriod(today, None))
    return holds


def ongoing(visits: list[PlannedVisit]) -> list[PlannedVisit]:
    return sorted((v for v in visits if v.phase == ONGO), key=lambda v: v.sequence)


@PROPERTY
@given(scenarios())
def test_windows_and_keys_are_well_formed(scenario: Scenario) -> None:
    visits = scenario.plan()
    assert len({(v.phase, v.sequence) for v in visits}) == len(visits)
    assert all(v.due_date >= v.window_start for v in visits)
    assert all(v.sequence == 1 for v in visits if v.phase != ONGO)
    runs = ongoing(visits)
    for earlier, later in itertools.pairwise(runs):
        assert earlier.due_date < later.window_start, (earlier, later)
    order = {KICK: 0, ONGO: 1, CLOSE: 2, AFTER: 3}
    assert visits == sorted(visits, key=lambda v: (v.due_date, order[v.phase], v.sequence))


@PROPERTY
@given(scenarios())
def test_plan_is_deterministic_and_independent_of_rule_order(scenario: Scenario) -> None:
    first = scenario.plan()
    assert scenario.plan() == first
    reordered = replace(scenario.policy, rules=tuple(reversed(scenario.policy.rules)))
    assert replace(scenario, policy=reordered).plan() == first


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@PROPERTY
@given(scenarios())
def test_dues_are_working_days_latest_in_window_else_first_after(scenario: Scenario) -> None:
    if scenario.calendar is None:
        return
    works = scenario.calendar.is_working_day
    unadjusted = {(v.phase, v.sequence): v for v in scenario.unadjusted()}
    for visit in scenario.plan():
        grid = unadjusted[(visit.phase, visit.sequence)]
        assert visit.window_start >= grid.window_start
        assert works(visit.due_date), visit
        in_window = [d for d in days(visit.window_start, grid.due_date) if works(d)]
        if in_window:
            assert visit.due_date == in_window[-1], visit
        else:
            after = days(grid.due_date + timedelta(days=1), grid.due_date + timedelta(days=400))
            assert visit.due_date == next(d for d in after if works(d)), visit


def grid_dues(scenario: Scenario) -> tuple[dict[int, date], date]:
    """Independent oracle: every grid slot k -> its unadjusted due (held or not), cut-off."""
    spec, policy = scenario.project, scenario.policy
    start, end = spec.actual_start or spec.planned_start, effective_end(scenario)
    if start is None or policy.rule_for(ONGO) is None or spec.status == ProjectStatus.CANCELLED:
        return {}, date.min
    kickoff = policy.rule_for(KICK)
    base = (
        start if kickoff is None else start + timedelta(kickoff.offset_days + kickoff.window_days)
    )
    if end is not None:
        last = end - timedelta(days=policy.ongoing_clearance_days + 1)
    elif spec.status == ProjectStatus.COMPLETED:
        last = scenario.today
    else:
        last = scenario.today + timedelta(days=policy.rolling_horizon_days)
    grid = {0: base}
    while True:
        k = len(grid)
        due = base + timedelta(14 * k) if spec.cadence == Cadence.BIWEEKLY else add_months(base, k)
        if due > last:
            return grid, last
        grid[k] = due


@PROPERTY
@given(scenarios())
def test_ongoing_are_the_grid_slots_outside_holds_before_the_cutoff(scenario: Scenario) -> None:
    (grid, last_allowed), holds = grid_dues(scenario), effective_holds(scenario)
    expected = {k: due for k, due in grid.items() if k > 0 and not held(due, holds)}
    unadjusted = ongoing(scenario.unadjusted())
    assert {v.sequence: v.due_date for v in unadjusted} == expected
    for visit in unadjusted:
        # the window opens the day after the previous slot's due, or on resumption after a hold
        resumed = [h.end for h in holds if h.end is not None and h.end <= visit.due_date]
        grid_start = grid[visit.sequence - 1] + timedelta(days=1)
        assert visit.window_start == max([grid_start, *resumed]), visit
    for visit in ongoing(scenario.plan()):
        assert visit.sequence in expected, visit
        assert visit.due_date <= last_allowed, visit
        assert not held(visit.due_date, holds), visit


@PROPERTY
@given(scenarios())
def test_cancelled_or_startless_projects_plan_nothing(scenario: Scenario) -> None:
    spec = scenario.project
    cancelled = replace(scenario, project=replace(spec, status=ProjectStatus.CANCELLED))
    startless = replace(scenario, project=replace(spec, planned_start=None, actual_start=None))
    assert cancelled.plan() == []
    assert startless.plan() == []


@PROPERTY
@given(scenarios())
def test_phase_visits_follow_their_rules(scenario: Scenario) -> None:
    spec = scenario.project
    if spec.status == ProjectStatus.CANCELLED:
        return
    start = spec.actual_start or spec.planned_start
    end = effective_end(scenario)
    planned = {(v.phase, v.sequence): v for v in scenario.unadjusted()}
    for rule in scenario.policy.rules:
        if rule.phase == ONGO:
            continue
        anchor = start if rule.anchor == Anchor.START else end
        if anchor is None:
            assert (rule.phase, 1) not in planned
            continue
        window_start = anchor + timedelta(days=rule.offset_days)
        assert planned[(rule.phase, 1)] == PlannedVisit(
            rule.phase, 1, window_start, window_start + timedelta(days=rule.window_days)
        )


# --- bounded work -----------------------------------------------------------------------


def test_project_spanning_millennia_plans_a_bounded_number_of_visits() -> None:
    """The request of issue 16 (2460-09-11 to 9988-05-19) planned 196,388 visits."""
    plan = plan_visits(project("2460-09-11", "9988-05-19"), DEFAULT, today=D("2026-12-02"))
    ongoing = [visit for visit in plan if visit.phase == ONGO]
    assert len(ongoing) == MAX_ONGOING_VISITS
    assert [visit.sequence for visit in ongoing] == list(range(1, MAX_ONGOING_VISITS + 1))
    assert len(plan) == MAX_ONGOING_VISITS + 2  # with the kickoff and the closing visit


def _clamped(start: date, days: int, latest: date) -> date:
    return start + timedelta(days=max(0, min(days, (latest - start).days)))


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(date(1, 1, 1), date(9000, 1, 1)),
    days=st.integers(0, 2_000_000),
    cadence=st.sampled_from(list(Cadence)),
    open_ended=st.booleans(),
)
def test_no_plan_exceeds_the_ongoing_cap(
    start: date, days: int, cadence: Cadence, open_ended: bool
) -> None:
    # Offsets are clamped before they are added: a date past 9999 cannot be made at all.
    end = None if open_ended else _clamped(start, min(days, 900_000), date(9999, 1, 1))
    spec = ProjectSpec(
        planned_start=start,
        planned_end=end,
        actual_start=None,
        actual_end=None,
        status=ProjectStatus.ACTIVE,
        cadence=cadence,
    )
    today = _clamped(start, days % 3_000_000, date(9000, 1, 1))
    ongoing = [v for v in plan_visits(spec, DEFAULT, today=today) if v.phase == ONGO]
    assert len(ongoing) <= MAX_ONGOING_VISITS
    # The cap keeps the grid's first slots: no gap in the sequence.
    assert [visit.sequence for visit in ongoing] == list(range(1, len(ongoing) + 1))
