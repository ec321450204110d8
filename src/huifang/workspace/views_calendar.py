"""The calendar: month and week views of the visits a user may see, and the
settings page of the personal iCal feed plus the feed itself (public, secret URL).

A visit sits on the day it is scheduled for, or else on its due date."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from huifang.core import access
from huifang.core.calendar_feed import create_calendar_feed, feed_user, revoke_calendar_feed
from huifang.core.forms import StyledFormMixin
from huifang.core.models import CalendarFeed, User
from huifang.policy.national_days import YearSource, year_sources
from huifang.policy.queries import SOURCE_COMPANY, marked_days
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitStatus
from huifang.workspace.ical import build_calendar

if TYPE_CHECKING:
    from huifang.core.access import AnyUser

# A busy organisation still fits: more than this in one view is cut (and said).
CALENDAR_LIMIT = 1000


class CalendarFilterForm(StyledFormMixin, forms.Form):
    project = forms.ModelChoiceField(
        label=gettext_lazy("Project"),
        required=False,
        queryset=Project.objects.none(),
        empty_label=gettext_lazy("All projects"),
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"),
        required=False,
        queryset=User.objects.none(),
        empty_label=gettext_lazy("Anyone"),
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.visible_to(user).order_by("code")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]


@dataclass
class Day:
    date: datetime.date
    in_range: bool
    is_today: bool
    visits: list[Visit] = field(default_factory=list)
    mark: DayMark | None = None


@dataclass(frozen=True)
class DayMark:
    """What the calendar says about a day off or a worked weekend day."""

    css: str  # day-holiday, day-workday or day-company
    label: str  # in words: colour is never the only signal
    name: str


def _marks(first: datetime.date, last: datetime.date) -> dict[datetime.date, DayMark]:
    """Public holidays, adjusted workdays (调休) and company days between two dates."""
    labels = {
        ("holiday", False): _("Public holiday"),
        ("workday", False): _("Adjusted workday"),
        ("holiday", True): _("Company holiday"),
        ("workday", True): _("Company working day"),
    }
    marks = {}
    for day, marked in marked_days(first, last).items():
        company = marked.source == SOURCE_COMPANY
        css = "day-company" if company else f"day-{marked.kind}"
        # Names as their source writes them: the notice and company days in the
        # company's words, the libraries in English.
        marks[day] = DayMark(css, labels[(marked.kind, company)], marked.name)
    return marks


def _sources(first: datetime.date, last: datetime.date) -> list[YearSource]:
    return year_sources(range(first.year, last.year + 1))


def visit_day(visit: Visit) -> datetime.date:
    if visit.scheduled_at is not None:
        return timezone.localtime(visit.scheduled_at).date()
    return visit.due_date


def _calendar_visits(
    user: AnyUser, form: CalendarFilterForm, first: datetime.date, last: datetime.date
) -> tuple[dict[datetime.date, list[Visit]], bool]:
    visits = Visit.objects.visible_to(user).exclude(status=VisitStatus.CANCELLED)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["project"]:
            visits = visits.filter(project=form.cleaned_data["project"])
        if form.cleaned_data["owner"]:
            visits = visits.filter(owner=form.cleaned_data["owner"])
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    visits = visits.filter(
        Q(scheduled_at__gte=start, scheduled_at__lt=end)
        | Q(scheduled_at__isnull=True, due_date__gte=first, due_date__lte=last)
    ).select_related("project", "owner")
    found = list(visits.order_by("due_date", "scheduled_at", "pk")[: CALENDAR_LIMIT + 1])
    by_day: dict[datetime.date, list[Visit]] = defaultdict(list)
    for visit in found[:CALENDAR_LIMIT]:
        by_day[visit_day(visit)].append(visit)
    for day_visits in by_day.values():
        day_visits.sort(key=lambda v: (v.scheduled_at is None, v.scheduled_at or 0, v.pk))
    return by_day, len(found) > CALENDAR_LIMIT


def _parse_month(value: str, today: datetime.date) -> datetime.date:
    try:
        parsed = datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)
    return parsed if 1900 < parsed.year < 3000 else today.replace(day=1)


def _parse_day(value: str, today: datetime.date) -> datetime.date:
    try:
        parsed = datetime.date.fromisoformat(value)
    except ValueError:
        return today
    return parsed if 1900 < parsed.year < 3000 else today


def _query(form: CalendarFilterForm, **extra: str) -> str:
    """The filters kept when moving to another month or week."""
    params = {key: value for key, value in (form.data or {}).items() if key in form.fields}
    params.update(extra)
    return "?" + "&".join(f"{key}={value}" for key, value in params.items() if value)


@login_required
@require_GET
def month(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    today = timezone.localdate()
    first_of_month = _parse_month(request.GET.get("month", ""), today)
    form = CalendarFilterForm(request.GET or None, user=user)
    weeks_dates = calendar.Calendar(firstweekday=0).monthdatescalendar(
        first_of_month.year, first_of_month.month
    )
    by_day, cut = _calendar_visits(user, form, weeks_dates[0][0], weeks_dates[-1][-1])
    marks = _marks(weeks_dates[0][0], weeks_dates[-1][-1])
    weeks = [
        [
            Day(
                date=day,
                in_range=day.month == first_of_month.month,
                is_today=day == today,
                visits=by_day.get(day, []),
                mark=marks.get(day),
            )
            for day in week
        ]
        for week in weeks_dates
    ]
    previous = (first_of_month - datetime.timedelta(days=1)).replace(day=1)
    following = (first_of_month + datetime.timedelta(days=32)).replace(day=1)
    context = {
        "form": form,
        "month": first_of_month,
        "weeks": weeks,
        # The phone's list: days with visits, and the days off and worked weekend days.
        "days_with_visits": [
            day for week in weeks for day in week if day.in_range and (day.visits or day.mark)
        ],
        "sources": _sources(first_of_month, first_of_month),
        "can_load_national_days": access.can_manage_policy(user),
        "today": today,
        "cut": cut,
        "weekday_names": [week_day.date for week_day in weeks[0]],
        "prev_url": _query(form, month=f"{previous:%Y-%m}"),
        "next_url": _query(form, month=f"{following:%Y-%m}"),
        "today_url": _query(form),
        "week_url": _query(
            form,
            week=(
                today
                if today.month == first_of_month.month and today.year == first_of_month.year
                else first_of_month
            ).isoformat(),
        ),
    }
    return render(request, "calendar/month.html", context)


@login_required
@require_GET
def week(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    today = timezone.localdate()
    any_day = _parse_day(request.GET.get("week", ""), today)
    monday = any_day - datetime.timedelta(days=any_day.weekday())
    sunday = monday + datetime.timedelta(days=6)
    form = CalendarFilterForm(request.GET or None, user=user)
    by_day, cut = _calendar_visits(user, form, monday, sunday)
    marks = _marks(monday, sunday)
    days = [
        Day(
            date=day,
            in_range=True,
            is_today=day == today,
            visits=by_day.get(day, []),
            mark=marks.get(day),
        )
        for day in (monday + datetime.timedelta(days=offset) for offset in range(7))
    ]
    context = {
        "form": form,
        "monday": monday,
        "sunday": sunday,
        "days": days,
        "sources": _sources(monday, sunday),
        "can_load_national_days": access.can_manage_policy(user),
        "today": today,
        "cut": cut,
        "prev_url": _query(form, week=(monday - datetime.timedelta(days=7)).isoformat()),
        "next_url": _query(form, week=(monday + datetime.timedelta(days=7)).isoformat()),
        "today_url": _query(form),
        "month_url": _query(form, month=f"{monday:%Y-%m}"),
    }
    return render(request, "calendar/week.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def feed_settings(request: HttpRequest) -> HttpResponse:
    """Make, regenerate or revoke the personal feed URL. A new URL is shown in the
    response to the POST that made it, and never again."""
    user = access.signed_in_user(request)
    feed_url = ""
    if request.method == "POST":
        operation = request.POST.get("operation", "")
        if operation == "create":
            _feed, token = create_calendar_feed(user=user)
            feed_url = request.build_absolute_uri(reverse("calendar:feed", args=[token]))
        elif operation == "revoke":
            revoke_calendar_feed(user=user)
            messages.success(request, _("Your calendar feed URL no longer works."))
            return redirect("calendar:feed_settings")
        else:
            return HttpResponse(status=400)
    feed = CalendarFeed.objects.filter(user=user).first()
    return render(
        request,
        "calendar/feed_settings.html",
        {"feed": feed, "feed_url": feed_url},
    )


@never_cache
@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCal feed: public, opened by the secret token alone (calendar apps cannot
    log in). Unknown or revoked tokens answer 404."""
    user = feed_user(token)
    if user is None:
        raise Http404
    language = user.language or translation.get_language() or "zh-hans"
    with translation.override(language):
        body = build_calendar(
            user,
            today=timezone.localdate(),
            visit_url=lambda visit: request.build_absolute_uri(
                reverse("visits:detail", args=[visit.pk])
            ),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="huifang.ics"'
    return response
