"""Excel (openpyxl) and CSV exports: visit records, actions, scorecards and a review's
figures. Every text cell goes through :func:`safe_cell`, so a value a user typed can
never run as a spreadsheet formula (CSV/formula injection)."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """A cell value that a spreadsheet shows as text: strings starting with
    ``=``, ``+``, ``-`` or ``@`` get a leading single quote. Numbers, dates and
    ``None`` pass unchanged (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, int | float | str):
        return safe_cell(value)
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: write the local wall-clock time.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value
    return safe_cell(str(value))


def workbook_response(
    filename: str, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]
) -> HttpResponse:
    """An .xlsx download with one sheet per (title, header, rows)."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([safe_cell(str(name)) for name in header])
        for row in rows:
            sheet.append([_cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM.
    writer = csv.writer(response)
    writer.writerow([safe_cell(str(name)) for name in header])
    for row in rows:
        writer.writerow(["" if value is None else _cell(value) for value in row])
    return response


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def scorecard_table(rows: Iterable[Any]) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("User"),
        _("Role"),
        _("Visits owned"),
        _("Done on time"),
        _("On-time rate"),
        _("Record completeness"),
        _("Actions closed on time"),
        _("Average satisfaction"),
    ]
    body = [
        [
            str(user),
            user.get_role_display(),
            user.visits_owned,
            user.visits_on_time,
            _ratio(user.on_time_rate),
            _ratio(user.record_completeness),
            user.actions_closed_on_time,
            None if user.avg_satisfaction is None else round(user.avg_satisfaction, 2),
        ]
        for user in rows
    ]
    return header, body


def visit_record_rows(records: Iterable[Any]) -> tuple[list[str], list[list[Any]]]:
    """``records`` with their ``contacts`` and ``participants`` prefetched."""
    header = [
        _("Project"),
        _("Visit"),
        _("Due date"),
        _("Completed on"),
        _("Status"),
        _("Work completed"),
        _("Work outstanding"),
        _("Schedule status"),
        _("Percent complete"),
        _("Summary"),
        _("Form of the visit"),
        _("The customer's contacts"),
        _("Our staff"),
        _("Recorded by"),
        _("Submitted at"),
    ]
    body = [
        [
            record.visit.project.code,
            record.visit.name,
            record.visit.due_date,
            record.visit.completed_on,
            record.get_status_display(),
            record.work_completed,
            record.work_outstanding,
            record.get_schedule_status_display(),
            record.percent_complete,
            record.summary,
            record.get_form_display(),
            ", ".join(contact.name for contact in record.contacts.all()),
            ", ".join(str(person) for person in record.participants.all()),
            str(record.recorded_by),
            record.submitted_at,
        ]
        for record in records
    ]
    return header, body


def action_rows(actions: Iterable[Any]) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Project"),
        _("Origin"),
        _("Description"),
        _("Owner"),
        _("Due date"),
        _("Status"),
        _("Done on"),
        _("Verified effective on"),
        _("Created at"),
    ]
    body = [
        [
            action.project.code,
            action.get_origin_display(),
            action.shown_description,
            str(action.owner),
            action.due_date,
            action.get_status_display(),
            action.done_on,
            action.closed_on,
            action.created_at,
        ]
        for action in actions
    ]
    return header, body
