"""Reading the State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知).

Pure (no Django, enforced by import-linter), like ``workdays``: the page, the command
line and the tests all parse with this module, and a year's national days can be
loaded the day the notice appears, without a library release.

The notice is read line by line. A line is *an item* when it starts with a Chinese
list marker ("二、") or names a date together with 放假 or 上班; every other line (the
title, the salutation, the preamble, the closing paragraph, the signature and its
date) is context and is ignored. An item must be understood completely: each of its
sentences is a holiday range ("2月10日至17日放假调休，共8天"), a list of adjusted
workdays ("2月4日（星期日）、2月18日（星期日）上班"), or a sentence without 放假/上班
(an encouragement such as "鼓励……在除夕（2月9日）休息", which makes no day off). A
holiday sentence that cannot be read, a count "共N天" that does not match its range,
a weekday in brackets that does not match its date, or an adjusted workday that is
not a weekend day is an error naming the line: a half-read notice must never be
saved, because every due date of the year depends on it.

Dates without a year are in the notice's year, except that a range running from
December into January is the New Year holiday of the notice's year and so starts in
the year before ("12月31日至1月2日" in the 2023 notice is 2022-12-31 … 2023-01-02).
The notices write that range with explicit years ("2022年12月31日至2023年1月2日"),
which are honoured as written.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from enum import StrEnum

HOLIDAY = "holiday"
WORKDAY = "workday"

# Far more than any notice (about 30 lines with the preamble); a paste of something
# else entirely is refused rather than parsed at length.
MAX_TEXT_CHARS = 20_000
MAX_LINES = 400
# A notice's longest range is the Spring Festival (7 to 9 days); a range of weeks is a
# typo, not a holiday.
MAX_RANGE_DAYS = 15
MAX_NAME_CHARS = 40

_LIST_MARKER = re.compile(r"^\s*[（(]?[一二三四五六七八九十]+[、.．)）]")
_DATE = re.compile(r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日")
_NOTE = r"(?:[（(]([^（）()]*)[）)])?"
_ONE_DATE = rf"(?:(\d{{4}})年)?(\d{{1,2}})月(\d{{1,2}})日{_NOTE}"
_RANGE_END = rf"(?:(\d{{4}})年)?(?:(\d{{1,2}})月)?(\d{{1,2}})日{_NOTE}"
_HOLIDAY = re.compile(
    rf"^{_ONE_DATE}(?:至{_RANGE_END})?放假(?:调休)?(?:(\d+)天)?[，,]?(.*)$",
)
_COUNT = re.compile(r"共(\d+)天")
_WORKDAYS = re.compile(rf"^((?:{_ONE_DATE}[、，,和及]?)+)上班$")
_WEEKDAY = re.compile(r"(?:星期|周|礼拜)([一二三四五六日天])")
_WEEKDAYS = "一二三四五六日"
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_YEAR_IN_TITLE = re.compile(r"关于(\d{4})年[^\n]*节假日|现将(\d{4})年")
# What may follow a holiday range in its sentence besides the day count.
_HOLIDAY_TAIL = re.compile(r"^(?:共\d+天|与周末连休|不调休|[，,、\s])*$")


class ErrorCode(StrEnum):
    """Why a line was not understood; the page words each in the reader's language."""

    UNREADABLE = "unreadable"  # an item none of whose sentences is a range or workdays
    BAD_DATE = "bad_date"  # 2月30日
    BAD_RANGE = "bad_range"  # ends before it starts, or is weeks long
    COUNT_MISMATCH = "count_mismatch"  # "共7天" for a range of 6 days
    WEEKDAY_MISMATCH = "weekday_mismatch"  # "2月4日（星期六）" when it is a Sunday
    WORKDAY_NOT_WEEKEND = "workday_not_weekend"  # an adjusted workday on a Wednesday
    OUTSIDE_YEAR = "outside_year"  # a day far from the notice's year
    CONFLICT = "conflict"  # a day both off and worked
    WRONG_YEAR = "wrong_year"  # the title is for another year
    EMPTY = "empty"  # no item at all
    TOO_LONG = "too_long"
    ICS_UNREADABLE = "ics_unreadable"  # not a calendar file


@dataclass(frozen=True)
class NoticeError:
    code: ErrorCode
    line: int  # 1-based; 0 for the text as a whole
    text: str
    detail: str = ""  # the offending date or count, as written


@dataclass(frozen=True)
class NationalDay:
    date: datetime.date
    kind: str  # HOLIDAY or WORKDAY
    name: str = ""  # the item's name (春节), as the notice writes it


@dataclass
class NoticeLine:
    number: int
    text: str
    is_item: bool
    days: list[NationalDay] = field(default_factory=list)
    errors: list[NoticeError] = field(default_factory=list)


@dataclass
class ParsedNotice:
    year: int
    lines: list[NoticeLine]
    errors: list[NoticeError]

    @property
    def days(self) -> list[NationalDay]:
        """Every day the notice names, in date order (unique: see ``CONFLICT``)."""
        found = {day.date: day for line in self.lines for day in line.days}
        return [found[key] for key in sorted(found)]

    @property
    def ok(self) -> bool:
        return not self.errors


def detect_year(text: str) -> int | None:
    """The year the notice is for, from its title or preamble, if it says."""
    match = _YEAR_IN_TITLE.search(text)
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def parse_notice(text: str, *, year: int) -> ParsedNotice:
    """Read a pasted notice for ``year``: its days and, per line, what it produced."""
    if len(text) > MAX_TEXT_CHARS or text.count("\n") >= MAX_LINES:
        error = NoticeError(ErrorCode.TOO_LONG, 0, "", str(MAX_TEXT_CHARS))
        return ParsedNotice(year=year, lines=[], errors=[error])
    lines = [_parse_line(number, raw, year) for number, raw in enumerate(text.splitlines(), 1)]
    errors = [error for line in lines for error in line.errors]
    stated = detect_year(text)
    if stated is not None and stated != year:
        errors.insert(0, NoticeError(ErrorCode.WRONG_YEAR, 0, "", str(stated)))
    seen: dict[datetime.date, tuple[str, int]] = {}
    for line in lines:
        for day in line.days:
            other = seen.setdefault(day.date, (day.kind, line.number))
            if other[0] != day.kind:
                errors.append(
                    NoticeError(ErrorCode.CONFLICT, line.number, line.text, day.date.isoformat())
                )
                line.errors.append(errors[-1])
    if not errors and not any(line.days for line in lines):
        errors.append(NoticeError(ErrorCode.EMPTY, 0, ""))
    return ParsedNotice(year=year, lines=lines, errors=errors)


def render_notice(
    year: int, items: list[tuple[str, list[datetime.date], list[datetime.date]]]
) -> str:
    """Write a notice the way the State Council does, from (name, holiday days,
    adjusted workdays) items; each item's holidays are one range of consecutive days.
    The property tests parse it back; it also documents the format the parser reads."""
    numerals = "一二三四五六七八九十"
    lines = [f"国务院办公厅关于{year}年部分节假日安排的通知", "各省、自治区、直辖市人民政府："]
    for index, (name, days_off, workdays) in enumerate(items):
        first, last = days_off[0], days_off[-1]
        start = _written(first, year, with_year=first.year != year)
        if last == first:
            span = start
        elif last.year != first.year or first.year != year:
            span = f"{start}至{_written(last, year, with_year=True)}"
        elif last.month != first.month:
            span = f"{start}至{last.month}月{last.day}日"
        else:
            span = f"{start}至{last.day}日"
        sentence = f"{span}放假调休，共{len(days_off)}天。"
        if workdays:
            listed = "、".join(
                _written(day, year, with_year=day.year != year)
                + f"（星期{_WEEKDAYS[day.weekday()]}）"
                for day in workdays
            )
            sentence += f"{listed}上班。"
        lines.append(f"{numerals[index]}、{name}：{sentence}")
    lines.append("国务院办公厅")
    return "\n".join(lines)


def _written(day: datetime.date, year: int, *, with_year: bool) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if with_year else f"{day.month}月{day.day}日"


def _parse_line(number: int, raw: str, year: int) -> NoticeLine:
    text = raw.strip()
    body = _LIST_MARKER.sub("", text, count=1)
    is_item = body != text or (bool(_DATE.search(text)) and ("放假" in text or "上班" in text))
    line = NoticeLine(number=number, text=text, is_item=is_item)
    if not is_item:
        return line
    name = ""
    for colon in ("：", ":"):
        if colon in body:
            name, body = body.split(colon, 1)
            break
    # A name is a few characters (国庆节、中秋节); anything longer is not a name.
    name = name.strip()[:MAX_NAME_CHARS]
    understood = False
    for sentence in re.split(r"[。；;]", body):
        sentence = re.sub(r"\s+", "", sentence)
        if not sentence:
            continue
        if "放假" in sentence:
            understood = _read_holidays(line, sentence, name.strip(), year) or understood
        elif "上班" in sentence:
            understood = _read_workdays(line, sentence, name.strip(), year) or understood
    if not understood and not line.errors:
        line.errors.append(NoticeError(ErrorCode.UNREADABLE, number, text))
    return line


def _read_holidays(line: NoticeLine, sentence: str, name: str, year: int) -> bool:
    match = _HOLIDAY.match(sentence)
    if match is None or not _HOLIDAY_TAIL.match(match.group(10) or ""):
        line.errors.append(NoticeError(ErrorCode.UNREADABLE, line.number, line.text, sentence))
        return False
    # The start, the range's end, "放假N天" and the rest of the sentence ("共N天").
    y1, m1, d1, note1, y2, m2, d2, note2, count_inline = match.group(1, 2, 3, 4, 5, 6, 7, 8, 9)
    start = _date(line, y1, m1, d1, year)
    if start is None:
        return False
    end = start
    if d2 is not None:
        end_year = int(y2) if y2 else start.year
        end_month = m2 or str(start.month)
        if not y2 and int(end_month) < start.month:
            # 12月31日至1月2日: the New Year holiday of the notice's year; with the
            # start's year written (2022年12月31日至1月2日), the end is in the next one.
            if not y1:
                start = start.replace(year=year - 1)
            end_year = start.year + 1
        found = _date(line, str(end_year), end_month, d2, year)
        if found is None:
            return False
        end = found
    if not (_weekday_ok(line, start, note1) and _weekday_ok(line, end, note2)):
        return False
    length = (end - start).days + 1
    if length < 1 or length > MAX_RANGE_DAYS:
        line.errors.append(
            NoticeError(ErrorCode.BAD_RANGE, line.number, line.text, f"{start} – {end}")
        )
        return False
    stated = _COUNT.search(match.group(10) or "")
    count = int(count_inline) if count_inline else int(stated.group(1)) if stated else None
    if count is not None and count != length:
        line.errors.append(
            NoticeError(ErrorCode.COUNT_MISMATCH, line.number, line.text, str(count))
        )
        return False
    for offset in range(length):
        day = start + datetime.timedelta(days=offset)
        line.days.append(NationalDay(day, HOLIDAY, name))
    return True


def _read_workdays(line: NoticeLine, sentence: str, name: str, year: int) -> bool:
    if _WORKDAYS.match(sentence) is None:
        line.errors.append(NoticeError(ErrorCode.UNREADABLE, line.number, line.text, sentence))
        return False
    ok = True
    for match in re.finditer(_ONE_DATE, sentence):
        y, m, d, note = match.groups()
        day = _date(line, y, m, d, year)
        if day is None or not _weekday_ok(line, day, note):
            ok = False
            continue
        if day.weekday() < 5:
            line.errors.append(
                NoticeError(ErrorCode.WORKDAY_NOT_WEEKEND, line.number, line.text, day.isoformat())
            )
            ok = False
            continue
        line.days.append(NationalDay(day, WORKDAY, name))
    return ok


def _date(
    line: NoticeLine, y: str | None, m: str | None, d: str, year: int
) -> datetime.date | None:
    written = f"{y + '年' if y else ''}{m}月{d}日"
    try:
        day = datetime.date(int(y) if y else year, int(m or 0), int(d))
    except ValueError:
        line.errors.append(NoticeError(ErrorCode.BAD_DATE, line.number, line.text, written))
        return None
    # A notice reaches into the neighbouring years only around New Year.
    if abs(day.year - year) > 1 or (
        day.year != year and abs((day - datetime.date(year, 1, 1)).days) > 31
    ):
        line.errors.append(NoticeError(ErrorCode.OUTSIDE_YEAR, line.number, line.text, written))
        return None
    return day


def _weekday_ok(line: NoticeLine, day: datetime.date, note: str | None) -> bool:
    """A weekday in brackets ("（星期日）", "（农历除夕、周二）") must be the date's."""
    match = _WEEKDAY.search(note or "")
    if match is None or _WEEKDAY_INDEX[match.group(1)] == day.weekday():
        return True
    line.errors.append(
        NoticeError(
            ErrorCode.WEEKDAY_MISMATCH,
            line.number,
            line.text,
            f"{day.month}月{day.day}日（{match.group(0)}）",
        )
    )
    return False
