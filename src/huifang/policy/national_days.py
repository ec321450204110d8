"""Loading a year's national days (the State Council's notice) and re-planning on it.

A company loads next year's holidays and adjusted workdays the day the notice is
published (pasted text, an .ics file or ``huifang calendar load``), without waiting
for a calendar library release. Loading is a service like any write: one
transaction that stores the year (its history is the audit trail: who loaded which
days, from which text, when), re-plans the open projects of every policy whose
calendar is China's with the same planner as any re-plan (only visits still merely
planned move), and tells each owner what moved once the transaction commits.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError
from huifang.core.history import acting_as
from huifang.core.holiday_notice import HOLIDAY, WORKDAY, ErrorCode, NationalDay, NoticeError
from huifang.core.models import User
from huifang.core.workdays import (
    SOURCE_CHINESE_CALENDAR,
    SOURCE_HOLIDAYS,
    SOURCE_NOTICE,
    chinese_calendar_covers,
)
from huifang.notify.models import Kind
from huifang.notify.services import NotifyRequest, notify_many
from huifang.policy.models import CalendarChoices, NationalYear, NationalYearSource, Policy
from huifang.policy.queries import SOURCE_COMPANY, version_in_force
from huifang.projects.models import Project, ProjectStatusChoices
from huifang.visits.models import Visit, VisitStatus
from huifang.visits.planning import plan_projects

# What one owner's notification lists; the rest is a count ("and 12 more").
NOTIFY_LIST_LIMIT = 20


@dataclass
class LoadResult:
    """What loading a year changed, for the page or command that loaded it."""

    year: NationalYear
    changed: bool
    projects: int = 0
    moved: list[tuple[Visit, datetime.date]] = field(default_factory=list)  # (visit, old due)
    created: int = 0
    removed: int = 0
    notified: int = 0


def stored_days(days: Sequence[NationalDay]) -> list[dict[str, str]]:
    """The days as kept on the row: sorted, one per date."""
    unique = {day.date: day for day in days}
    return [
        {"date": key.isoformat(), "kind": unique[key].kind, "name": unique[key].name}
        for key in sorted(unique)
    ]


def load_national_year(
    *,
    year: int,
    days: Sequence[NationalDay],
    source: str,
    source_text: str,
    user: User | None,
    today: datetime.date | None = None,
) -> LoadResult:
    """Store ``year``'s national days and re-plan the visits they move.

    Loading the same days from the same text again changes nothing (no history row, no
    re-plan, no notification)."""
    today = today or timezone.localdate()
    _check(year=year, days=days, source=source)
    wanted = stored_days(days)
    with transaction.atomic():
        existing = NationalYear.objects.select_for_update().filter(year=year).first()
        if (
            existing is not None
            and existing.days == wanted
            and existing.source == source
            and existing.source_text == source_text
        ):
            return LoadResult(year=existing, changed=False)
        days_changed = existing is None or existing.days != wanted
        row = existing or NationalYear(year=year)
        row.days = wanted
        row.source = source
        row.source_text = source_text
        row.loaded_by = user
        row.loaded_at = timezone.now()
        with acting_as(user):
            row.save()
        result = LoadResult(year=row, changed=True)
        if days_changed:  # a corrected text alone moves nothing
            _replan(result, today=today)
    return result


def _check(*, year: int, days: Sequence[NationalDay], source: str) -> None:
    if source not in NationalYearSource.values:
        raise DomainError(_("Unknown source of national days."))
    if not 2000 <= year <= 2100:
        raise DomainError(_("The year must be between 2000 and 2100."))
    if not any(day.date.year == year for day in days):
        raise DomainError(
            _("No holiday or adjusted workday of %(year)d was found.") % {"year": year}
        )
    for day in days:
        if day.kind not in (HOLIDAY, WORKDAY) or abs(day.date.year - year) > 1:
            raise DomainError(
                _("%(date)s does not belong to %(year)d.") % {"date": day.date, "year": year}
            )


def china_policies(today: datetime.date) -> list[int]:
    """The policies whose version in force uses China's calendar (the ones a notice moves)."""
    ids = []
    for policy in Policy.objects.all():
        version = version_in_force(policy, on=today)
        if version is not None and version.calendar == CalendarChoices.CHINA:
            ids.append(policy.pk)
    return ids


def _replan(result: LoadResult, *, today: datetime.date) -> None:
    year = result.year.year
    projects = Project.objects.filter(policy_id__in=china_policies(today)).exclude(
        status=ProjectStatusChoices.CANCELLED
    )
    # The due dates before the re-plan, to tell owners "from … to …". A year's days move
    # due dates in that year and its edges (a due date moves inside its window).
    before = dict(
        Visit.objects.filter(
            project__in=projects,
            status=VisitStatus.PLANNED,
            due_date__gte=datetime.date(year - 1, 11, 1),
            due_date__lte=datetime.date(year + 1, 2, 28),
        ).values_list("pk", "due_date")
    )
    for planned in plan_projects(projects, today=today):
        result.projects += 1
        result.created += len(planned.created)
        result.removed += planned.removed
        for visit in planned.moved:
            result.moved.append((visit, before.get(visit.pk, visit.due_date)))
    _tell_owners(result)


def _tell_owners(result: LoadResult) -> None:
    by_owner: dict[int, list[tuple[Visit, datetime.date]]] = defaultdict(list)
    for visit, old_due in result.moved:
        if visit.owner_id is not None and old_due != visit.due_date:
            by_owner[visit.owner_id].append((visit, old_due))
    if not by_owner:
        return
    owners = User.objects.in_bulk(list(by_owner))
    projects = Project.objects.in_bulk(
        {v.project_id for moves in by_owner.values() for v, _ in moves}
    )
    # One notification per owner per load: the load's history row names the load (the
    # clock does not: two loads in one tick, or A, B and A again, are three loads).
    load = result.year.history.order_by("-history_id").values_list("history_id", flat=True)[0]
    occasion = f"national:{result.year.year}:{load}"
    requests = []
    for owner_id, moves in sorted(by_owner.items()):
        moves.sort(key=lambda move: (move[0].due_date, move[0].pk))
        lines = [
            # Words, not labels: the message is rendered in the owner's language.
            [
                str(projects[visit.project_id]),
                visit.phase,
                visit.sequence or 0,
                old.isoformat(),
                visit.due_date.isoformat(),
            ]
            for visit, old in moves[:NOTIFY_LIST_LIMIT]
        ]
        context = {
            "year": result.year.year,
            "moves": lines,
            "more": max(0, len(moves) - NOTIFY_LIST_LIMIT),
        }
        requests.append(
            NotifyRequest(
                owners[owner_id],
                Kind.VISITS_MOVED_BY_CALENDAR,
                result.year,
                occasion,
                context,
                None,
            )
        )
    result.notified = len(notify_many(requests))


def error_message(error: NoticeError) -> str:
    """A parse error in the reader's language, naming the line."""
    texts = {
        ErrorCode.UNREADABLE: _("Line %(line)d: not understood: “%(detail)s”."),
        ErrorCode.BAD_DATE: _("Line %(line)d: %(detail)s is not a date."),
        ErrorCode.BAD_RANGE: _("Line %(line)d: the range %(detail)s is not a holiday range."),
        ErrorCode.COUNT_MISMATCH: _(
            "Line %(line)d: the line says %(detail)s days but its range has another number of days."
        ),
        ErrorCode.WEEKDAY_MISMATCH: _("Line %(line)d: the weekday of %(detail)s is wrong."),
        ErrorCode.WORKDAY_NOT_WEEKEND: _(
            "Line %(line)d: %(detail)s is an adjusted workday but not a Saturday or Sunday."
        ),
        ErrorCode.OUTSIDE_YEAR: _("Line %(line)d: %(detail)s is not in the notice's year."),
        ErrorCode.CONFLICT: _("Line %(line)d: %(detail)s is both a holiday and a workday."),
        ErrorCode.WRONG_YEAR: _("The text is the notice for %(detail)s, not for this year."),
        ErrorCode.EMPTY: _("No holiday or adjusted workday was found in the text."),
        ErrorCode.TOO_LONG: _("The text is too long for a notice (at most %(detail)s characters)."),
        ErrorCode.ICS_UNREADABLE: _("The file is not a calendar (.ics) file."),
    }
    detail = error.detail or error.text
    return texts[error.code] % {"line": error.line, "detail": detail[:120]}


@dataclass(frozen=True)
class YearSource:
    """Which source decides a year's national days, for the pages that say so."""

    year: int
    source: str
    label: str
    has_adjusted_workdays: bool
    loaded: NationalYear | None = None


def source_label(source: str) -> str:
    return {
        SOURCE_NOTICE: _("the State Council's notice, loaded in Huifang"),
        SOURCE_CHINESE_CALENDAR: _("the chinese-calendar package"),
        SOURCE_HOLIDAYS: _("the holidays package (holidays only, no adjusted workdays)"),
        SOURCE_COMPANY: _("company day"),
    }.get(source, source)


def year_sources(years: Sequence[int]) -> list[YearSource]:
    """The source of each of ``years`` under China's calendar (one query)."""
    rows = {
        row.year: row
        for row in NationalYear.objects.filter(year__in=list(years)).select_related("loaded_by")
    }
    found = []
    for year in sorted(set(years)):
        row = rows.get(year)
        if row is not None:
            source = SOURCE_NOTICE
            has_workdays = any(day["kind"] == WORKDAY for day in row.days)
        elif chinese_calendar_covers(year):
            source, has_workdays = SOURCE_CHINESE_CALENDAR, True
        else:
            source, has_workdays = SOURCE_HOLIDAYS, False
        found.append(YearSource(year, source, source_label(source), has_workdays, row))
    return found
