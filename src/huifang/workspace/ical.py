"""The calendar the personal iCal feed serves (its token lives in
:mod:`huifang.core.calendar_feed`): a standard VCALENDAR (PRODID, VERSION, one VEVENT
per visit with a stable UID and a DTSTAMP), which Outlook, Apple Calendar, Google and
DingTalk subscribe to alike."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING

import icalendar
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from huifang.visits.models import Visit, VisitStatus
from huifang.visits.queries import my_visits

if TYPE_CHECKING:
    from huifang.core.models import User

PRODID = "-//Huifang//Project follow-up visits//EN"
PAST_DAYS = 90
FEED_LIMIT = 2000
TIMED_EVENT_MINUTES = 60


def feed_visits(user: User, *, today: datetime.date) -> list[Visit]:
    """The user's visits for the feed: every open one, and the others of the last
    :data:`PAST_DAYS` days. Cancelled visits drop out, so subscribers see them go."""
    since = today - datetime.timedelta(days=PAST_DAYS)
    return list(
        my_visits(
            user,
            ~Q(status=VisitStatus.CANCELLED),
            Q(status__in=[VisitStatus.PLANNED, VisitStatus.SCHEDULED]) | Q(due_date__gte=since),
        )
        .select_related("project", "project__customer", "owner")
        .order_by("due_date", "pk")[:FEED_LIMIT]
    )


def visit_uid(visit: Visit) -> str:
    """Stable per visit, so a rescheduled visit moves instead of appearing twice."""
    return f"visit-{visit.pk}@huifang"


def build_calendar(
    user: User,
    *,
    today: datetime.date,
    visit_url: Callable[[Visit], str],
) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Huifang visits of %(user)s") % {"user": user})
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    calendar.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for visit in feed_visits(user, today=today):
        calendar.add_component(_event(visit, visit_url(visit)))
    return calendar.to_ical()


def _event(visit: Visit, url: str) -> icalendar.Event:
    project = visit.project
    event = icalendar.Event()
    event.add("uid", visit_uid(visit))
    # DTSTAMP is when this version of the event was last changed: stable between
    # fetches, so clients do not see every refresh as an update.
    event.add("dtstamp", visit.updated_at.astimezone(datetime.UTC))
    event.add("last-modified", visit.updated_at.astimezone(datetime.UTC))
    if visit.scheduled_at is not None:
        start = visit.scheduled_at.astimezone(datetime.UTC)
        event.add("dtstart", start)
        event.add("dtend", start + datetime.timedelta(minutes=TIMED_EVENT_MINUTES))
    else:
        event.add("dtstart", visit.due_date)
        event.add("dtend", visit.due_date + datetime.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
    event.add(
        "summary",
        _("Visit %(project)s: %(visit)s")
        % {"project": f"{project.code} {project.name}", "visit": _visit_label(visit)},
    )
    lines = [
        _("Customer: %(customer)s") % {"customer": project.customer.name},
        _("Status: %(status)s") % {"status": visit.get_status_display()},
        _("Window: %(start)s – %(due)s")
        % {"start": visit.window_start.isoformat(), "due": visit.due_date.isoformat()},
        _("Owner: %(owner)s") % {"owner": visit.owner or "—"},
    ]
    if visit.form:
        lines.append(_("Form: %(form)s") % {"form": visit.get_form_display()})
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("status", "CONFIRMED" if visit.status != VisitStatus.PLANNED else "TENTATIVE")
    return event


def _visit_label(visit: Visit) -> str:
    return visit.name
