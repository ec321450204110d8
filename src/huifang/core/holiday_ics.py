"""Reading national holidays and adjusted workdays from an .ics calendar file.

Holiday calendar subscriptions (the phone calendars' "中国大陆节假日", holiday-cn and
the like) publish each holiday as an all-day event and each adjusted workday as an
all-day event whose title says work: "补班", "上班", "调休上班", "班". An event whose
title contains 班 is therefore an adjusted workday; any other all-day event is a
holiday (every day from DTSTART up to, not including, DTEND). Timed events are not
days off and are refused, as is anything that is not a calendar: a file read wrongly
would move every due date of its years.

Pure (no Django), like ``holiday_notice``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

import icalendar

from huifang.core.holiday_notice import (
    HOLIDAY,
    MAX_RANGE_DAYS,
    WORKDAY,
    ErrorCode,
    NationalDay,
    NoticeError,
)

MAX_ICS_BYTES = 2_000_000


def parse_ics(data: bytes) -> tuple[dict[int, list[NationalDay]], list[NoticeError]]:
    """The file's days per year, and what could not be read (nothing when it is fine).

    Errors name the event by its position in the file and its title."""
    if len(data) > MAX_ICS_BYTES:
        return {}, [NoticeError(ErrorCode.TOO_LONG, 0, "", str(MAX_ICS_BYTES))]
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as error:
        return {}, [NoticeError(ErrorCode.ICS_UNREADABLE, 0, "", str(error)[:120])]
    by_year: dict[int, dict[datetime.date, NationalDay]] = defaultdict(dict)
    errors: list[NoticeError] = []
    for number, event in enumerate(calendar.walk("VEVENT"), 1):
        title = str(event.get("SUMMARY", "")).strip()
        start = event.decoded("DTSTART", None)
        end = event.decoded("DTEND", None)
        if not isinstance(start, datetime.date) or isinstance(start, datetime.datetime):
            errors.append(NoticeError(ErrorCode.UNREADABLE, number, title, title))
            continue
        if end is None or isinstance(end, datetime.datetime) or not isinstance(end, datetime.date):
            end = start + datetime.timedelta(days=1)
        length = (end - start).days
        if not 1 <= length <= MAX_RANGE_DAYS:
            errors.append(NoticeError(ErrorCode.BAD_RANGE, number, title, f"{start} – {end}"))
            continue
        kind = WORKDAY if "班" in title else HOLIDAY
        # An event belongs to the year it ends in: the New Year holiday that starts on
        # 31 December is the new year's, as in the notice that announces it.
        year = (end - datetime.timedelta(days=1)).year
        name = title.replace("补班", "").replace("上班", "").replace("调休", "").strip(" （）()·-")
        for offset in range(length):
            day = start + datetime.timedelta(days=offset)
            if kind == WORKDAY and day.weekday() < 5:
                errors.append(
                    NoticeError(ErrorCode.WORKDAY_NOT_WEEKEND, number, title, day.isoformat())
                )
                continue
            previous = by_year[year].get(day)
            if previous is not None and previous.kind != kind:
                errors.append(NoticeError(ErrorCode.CONFLICT, number, title, day.isoformat()))
            by_year[year][day] = NationalDay(day, kind, name)
    if not errors and not by_year:
        errors.append(NoticeError(ErrorCode.EMPTY, 0, ""))
    return {
        year: sorted(days.values(), key=lambda d: d.date) for year, days in by_year.items()
    }, errors
