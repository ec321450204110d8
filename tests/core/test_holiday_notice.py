"""Reading the State Council's holiday notice.

The fixtures in ``notices/`` are the published notices for 2020–2026 (title,
salutation, preamble, items, closing paragraph and signature, as pasted from the
government site). chinese-calendar, which was built from the same notices, is the
oracle: every day of each year must be classified the same way (holiday, adjusted
workday, ordinary day).

Two documented exceptions, where chinese-calendar's data is not the notice's:

* 2020: the Spring Festival was extended by a later, separate notice (国办发明电〔2020〕1号,
  because of the epidemic) to 2 February, and 1 February stopped being a workday. The
  original notice, which is what the fixture holds, ends the holiday on 30 January.
* 2023-12-30/31: chinese-calendar counts the weekend joined to 2024's New Year
  ("1月1日放假，与周末连休") as New Year holidays; the notice names only 1 January. Both
  agree that those days are not worked.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huifang.core.holiday_notice import (
    HOLIDAY,
    WORKDAY,
    ErrorCode,
    NationalDay,
    detect_year,
    parse_notice,
    render_notice,
)
from huifang.core.workdays import CalendarKind, NationalYear, WorkdayCalendar

NOTICES = Path(__file__).parent / "notices"
YEARS = range(2020, 2027)
DAY = datetime.timedelta(days=1)
D = datetime.date.fromisoformat

# Days where chinese-calendar follows something other than the notice (see above).
NOT_THE_NOTICE = {
    D("2020-01-31"): HOLIDAY,  # the epidemic extension
    D("2020-02-01"): HOLIDAY,  # was a workday in the notice
    D("2020-02-02"): HOLIDAY,
    D("2023-12-30"): HOLIDAY,  # weekend "joined" to 2024's New Year
    D("2023-12-31"): HOLIDAY,
}


def notice(year: int) -> str:
    return (NOTICES / f"{year}.txt").read_text(encoding="utf-8")


def oracle(day: datetime.date) -> str | None:
    if day in chinese_calendar.holidays:
        return HOLIDAY
    if day in chinese_calendar.workdays:
        return WORKDAY
    return None


def days_of(year: int) -> list[datetime.date]:
    first = datetime.date(year, 1, 1)
    return [
        first + offset * DAY for offset in range((datetime.date(year, 12, 31) - first).days + 1)
    ]


@pytest.mark.parametrize("year", YEARS)
def test_each_published_notice_agrees_with_chinese_calendar_on_every_day(year: int) -> None:
    parsed = parse_notice(notice(year), year=year)
    assert parsed.errors == []
    named = {day.date: day.kind for day in parsed.days}
    # The next notice's New Year holiday may start in this year (2022-12-31 is in the
    # 2023 notice): that day is checked with the next notice, below.
    following = NOTICES / f"{year + 1}.txt"
    next_named = (
        {day.date for day in parse_notice(following.read_text(), year=year + 1).days}
        if following.exists()
        else set()
    )
    for day in days_of(year):
        if day in NOT_THE_NOTICE:
            assert oracle(day) == NOT_THE_NOTICE[day]
            assert named.get(day) != NOT_THE_NOTICE[day], day
            continue
        if day in next_named:
            continue
        assert named.get(day) == oracle(day), day
    # Days it names in the year before (the New Year holiday) agree too.
    for day, kind in named.items():
        if day.year != year:
            assert oracle(day) == kind, day


@pytest.mark.parametrize("year", YEARS)
def test_a_loaded_notice_gives_the_same_working_days_as_chinese_calendar(year: int) -> None:
    parsed = parse_notice(notice(year), year=year)
    loaded = WorkdayCalendar(
        CalendarKind.CHINA,
        national=(
            NationalYear(
                year,
                frozenset(d.date for d in parsed.days if d.kind == HOLIDAY),
                frozenset(d.date for d in parsed.days if d.kind == WORKDAY),
            ),
        ),
    )
    assert loaded.source_for(year) == "notice"
    differing = [
        day
        for day in days_of(year)
        if loaded.is_working_day(day) != chinese_calendar.is_workday(day)
    ]
    assert differing == ([D("2020-01-31"), D("2020-02-01")] if year == 2020 else [])


def test_the_2020_exception_is_only_the_spring_festival_extension() -> None:
    named = {day.date: day.kind for day in parse_notice(notice(2020), year=2020).days}
    assert named.get(D("2020-01-30")) == HOLIDAY
    assert named.get(D("2020-01-31")) is None
    assert named.get(D("2020-02-01")) == WORKDAY
    assert oracle(D("2020-02-01")) == HOLIDAY


def test_preview_lines_carry_the_days_they_produced() -> None:
    parsed = parse_notice(notice(2024), year=2024)
    spring = next(line for line in parsed.lines if line.text.startswith("二、春节"))
    assert [(d.date.isoformat(), d.kind, d.name) for d in spring.days] == [
        *[(f"2024-02-{n:02d}", HOLIDAY, "春节") for n in range(10, 18)],
        ("2024-02-04", WORKDAY, "春节"),
        ("2024-02-18", WORKDAY, "春节"),
    ]
    preamble = next(line for line in parsed.lines if "经国务院批准" in line.text)
    assert not preamble.is_item
    assert preamble.days == []
    signature = next(line for line in parsed.lines if line.text == "2023年10月25日")
    assert not signature.is_item


def test_ranges_across_a_month_and_the_year_end() -> None:
    text = (
        "一、元旦：12月31日至1月2日放假调休，共3天。\n"
        "二、劳动节：4月29日至5月3日放假调休，共5天。4月23日（星期日）、5月6日（星期六）上班。"
    )
    parsed = parse_notice(text, year=2023)
    assert parsed.errors == []
    assert [d.date for d in parsed.days if d.kind == HOLIDAY][:3] == [
        D("2022-12-31"),
        D("2023-01-01"),
        D("2023-01-02"),
    ]
    assert D("2023-04-30") in {d.date for d in parsed.days}


def test_the_year_is_read_from_the_title() -> None:
    assert detect_year(notice(2025)) == 2025
    assert detect_year("一、元旦：1月1日放假。") is None


# --- Malformed, partial and hostile texts --------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (
            "一、元旦：1月1日放假，共1天。\n二、春节：2月30日至3月2日放假，共3天。",
            ErrorCode.BAD_DATE,
            2,
        ),
        ("一、春节：2月10日至17日放假调休，共7天。", ErrorCode.COUNT_MISMATCH, 1),
        (
            "一、春节：2月10日至17日放假调休，共8天。2月4日（星期六）上班。",
            ErrorCode.WEEKDAY_MISMATCH,
            1,
        ),
        (
            "一、春节：2月10日至17日放假调休，共8天。2月5日（星期一）上班。",
            ErrorCode.WORKDAY_NOT_WEEKEND,
            1,
        ),
        ("一、春节：2月17日至10日放假调休，共8天。", ErrorCode.BAD_RANGE, 1),
        ("一、春节：二月十日至十七日放假。", ErrorCode.UNREADABLE, 1),
        ("\n\n三、清明节：放假三天，具体另行通知。", ErrorCode.UNREADABLE, 3),
        ("一、元旦：1月6日放假。\n二、其他：1月6日（星期六）上班。", ErrorCode.CONFLICT, 2),
        ("一、元旦：2031年1月1日放假。", ErrorCode.OUTSIDE_YEAR, 1),
        (
            "国务院办公厅关于2025年部分节假日安排的通知\n一、元旦：1月1日放假。",
            ErrorCode.WRONG_YEAR,
            0,
        ),
        ("各省、自治区、直辖市人民政府：现将有关事项通知如下。", ErrorCode.EMPTY, 0),
        ("一、元旦：1月1日放假<script>alert(1)</script>", ErrorCode.UNREADABLE, 1),
        ("一、元旦：1月1日至3月1日放假。", ErrorCode.BAD_RANGE, 1),
    ],
)
def test_a_text_it_cannot_read_is_an_error_naming_the_line(
    text: str, code: ErrorCode, line: int
) -> None:
    parsed = parse_notice(text, year=2024)
    assert not parsed.ok
    assert (parsed.errors[0].code, parsed.errors[0].line) == (code, line)


def test_markup_in_a_line_is_kept_as_text_not_trusted() -> None:
    # Escaping is the page's job (tested there); the parser only keeps the name short.
    parsed = parse_notice("<script>alert(1)</script>一、元旦：1月1日放假" + "x" * 100, year=2024)
    assert parsed.errors[0].code == ErrorCode.UNREADABLE
    parsed = parse_notice("<b>" * 30 + "一、元旦：1月1日放假", year=2024)
    assert parsed.days[0].date == D("2024-01-01")
    assert len(parsed.days[0].name) <= 40


def test_a_huge_paste_is_refused_before_parsing() -> None:
    parsed = parse_notice("一、元旦：1月1日放假。\n" * 5000, year=2024)
    assert [error.code for error in parsed.errors] == [ErrorCode.TOO_LONG]


def test_one_bad_line_among_good_ones_blocks_the_notice() -> None:
    text = notice(2024).replace("共5天", "共6天")
    parsed = parse_notice(text, year=2024)
    assert [(e.code, e.text[:6]) for e in parsed.errors] == [
        (ErrorCode.COUNT_MISMATCH, "四、劳动节：")
    ]
    assert parsed.days  # the preview still shows what the other lines produced


# --- Property: a generated notice parses back to the same days -----------------------


@st.composite
def notices(
    draw: st.DrawFn,
) -> tuple[int, list[tuple[str, list[datetime.date], list[datetime.date]]]]:
    year = draw(st.integers(2000, 2090))
    count = draw(st.integers(1, 7))
    starts = sorted(
        draw(st.lists(st.integers(-3, 340), min_size=count, max_size=count, unique=True))
    )
    items = []
    taken: set[datetime.date] = set()
    for index, start in enumerate(starts):
        first = datetime.date(year, 1, 1) + start * DAY
        length = draw(st.integers(1, 9))
        days_off = [first + n * DAY for n in range(length)]
        if taken & set(days_off) or all(day.year != year for day in days_off):
            continue
        taken |= set(days_off)
        nearby = [days_off[0] - n * DAY for n in range(1, 10)] + [
            days_off[-1] + n * DAY for n in range(1, 10)
        ]
        weekend = [
            day for day in nearby if day.weekday() >= 5 and day not in taken and day.year == year
        ]
        workdays = (
            sorted(draw(st.lists(st.sampled_from(weekend), max_size=2, unique=True)))
            if weekend
            else []
        )
        taken |= set(workdays)
        items.append((f"节日{index}", days_off, workdays))
    return year, items


@settings(max_examples=300, deadline=None)
@given(notices())
def test_a_generated_notice_parses_back_to_the_same_days(
    generated: tuple[int, list[tuple[str, list[datetime.date], list[datetime.date]]]],
) -> None:
    year, items = generated
    parsed = parse_notice(render_notice(year, items), year=year)
    if not items:
        assert [e.code for e in parsed.errors] == [ErrorCode.EMPTY]
        return
    assert parsed.errors == []
    expected = sorted(
        [NationalDay(day, HOLIDAY, name) for name, off, _ in items for day in off]
        + [NationalDay(day, WORKDAY, name) for name, _, work in items for day in work],
        key=lambda day: day.date,
    )
    assert parsed.days == expected


def test_a_range_with_only_its_start_year_written_ends_in_the_next_year() -> None:
    parsed = parse_notice("一、元旦：2022年12月31日至1月2日放假调休，共3天。", year=2023)
    assert parsed.errors == []
    assert [day.date for day in parsed.days] == [D("2022-12-31"), D("2023-01-01"), D("2023-01-02")]


def test_hostile_long_lines_are_read_quickly() -> None:
    import time

    started = time.monotonic()
    for line in (
        "1月1日、" * 2000 + "上",
        "一、" + "1月1日（" * 2000 + "放假",
        "1" * 19_000 + "日放假",
    ):
        parse_notice(line, year=2024)
    assert time.monotonic() - started < 2
