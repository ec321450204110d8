"""The national holidays page: which source decides each year, and loading a year
from the State Council's notice (pasted, previewed, then saved) or an .ics file.

Everyone signed in may look (the days are public facts); quality managers and admins
load (``access.can_manage_policy``; others 403)."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huifang.core import access
from huifang.core.errors import DomainError
from huifang.core.holiday_ics import parse_ics
from huifang.core.holiday_notice import HOLIDAY, WORKDAY, ParsedNotice, detect_year, parse_notice
from huifang.policy.forms import IcsForm, NoticeForm
from huifang.policy.models import NationalYearSource
from huifang.policy.national_days import (
    LoadResult,
    error_message,
    load_national_year,
    year_sources,
)


@dataclass(frozen=True)
class PreviewDay:
    date: datetime.date
    in_month: bool
    kind: str  # "holiday", "workday", "weekend" or ""


def year_grid(
    year: int, kinds: dict[datetime.date, str]
) -> list[tuple[datetime.date, list[list[PreviewDay]]]]:
    """Twelve month grids (Monday first) with each day's kind, for the preview."""
    months = []
    for month in range(1, 13):
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        months.append(
            (
                datetime.date(year, month, 1),
                [
                    [
                        PreviewDay(
                            day,
                            day.month == month,
                            kinds.get(day, "weekend" if day.weekday() >= 5 else ""),
                        )
                        for day in week
                    ]
                    for week in weeks
                ],
            )
        )
    return months


def _summary(result: LoadResult) -> str:
    if not result.changed:
        return _("%(year)d was already loaded with these days: nothing changed.") % {
            "year": result.year.year
        }
    return _(
        "%(year)d loaded. %(projects)d projects re-planned, %(moved)d visits moved, "
        "%(owners)d owners told."
    ) % {
        "year": result.year.year,
        "projects": result.projects,
        "moved": len(result.moved),
        "owners": result.notified,
    }


@login_required
@require_http_methods(["GET", "POST"])
def national_days(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    can_manage = access.can_manage_policy(user)
    today = timezone.localdate()
    form = NoticeForm(initial={"year": today.year + 1})
    ics_form = IcsForm()
    parsed: ParsedNotice | None = None
    status = 200
    if request.method == "POST":
        access.require(can_manage)
        if request.POST.get("operation") == "ics":
            ics_form = IcsForm(request.POST, request.FILES)
            if ics_form.is_valid():
                response = _load_ics(request, ics_form)
                if response is not None:
                    return response
            status = 400
        else:
            form = NoticeForm(request.POST)
            if form.is_valid():
                parsed = parse_notice(form.cleaned_data["text"], year=form.cleaned_data["year"])
                if parsed.ok and request.POST.get("operation") == "save":
                    try:
                        result = load_national_year(
                            year=parsed.year,
                            days=parsed.days,
                            source=NationalYearSource.NOTICE,
                            source_text=form.cleaned_data["text"],
                            user=user,
                        )
                    except DomainError as error:
                        form.add_error(None, error.message)
                    else:
                        messages.success(request, _summary(result))
                        return redirect("policy:national_days")
                status = 200 if parsed.ok else 400
            else:
                status = 400
    shown = sorted({today.year - 1, today.year, today.year + 1})
    context: dict[str, Any] = {
        "can_manage": can_manage,
        "form": form,
        "ics_form": ics_form,
        "years": year_sources(shown),
        "parsed": parsed,
    }
    if parsed is not None:
        kinds = {day.date: day.kind for day in parsed.days}
        context["errors"] = [error_message(error) for error in parsed.errors]
        context["grid"] = year_grid(parsed.year, kinds)
        context["holiday"], context["workday"] = HOLIDAY, WORKDAY
        context["detected_year"] = detect_year(form.cleaned_data["text"])
    return render(request, "policy/national_days.html", context, status=status)


def _load_ics(request: HttpRequest, form: IcsForm) -> HttpResponse | None:
    data = form.cleaned_data["file"].read()
    by_year, errors = parse_ics(data)
    wanted = form.cleaned_data["year"]
    if not errors and wanted is not None and wanted not in by_year:
        form.add_error("year", _("The file has no days of %(year)d.") % {"year": wanted})
        return None
    if errors:
        for error in errors:
            form.add_error("file", error_message(error))
        return None
    text = data.decode("utf-8", errors="replace")
    results = []
    try:
        # Every year of the file or none: a file half loaded is hard to explain.
        with transaction.atomic():
            for year in [wanted] if wanted is not None else sorted(by_year):
                results.append(
                    load_national_year(
                        year=year,
                        days=by_year[year],
                        source=NationalYearSource.ICS,
                        source_text=text,
                        user=access.signed_in_user(request),
                    )
                )
    except DomainError as error:
        form.add_error("file", error.message)
        return None
    for result in results:
        messages.success(request, _summary(result))
    return redirect("policy:national_days")
