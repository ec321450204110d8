"""The formal policy document (制度文本) of a version, built as data from its settings.

The prose lives in the template (``policy/_document.html``) so translators see whole
sentences; this module supplies the facts each section states: the timing of every
visit rule in words, the checklists, the targets, the working-day calendar and its
caveats. Nothing here is typed by hand per company: change a setting, publish, and
the document says the new thing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from huifang.core.workdays import CalendarKind
from huifang.policy.models import (
    AnchorChoices,
    ChecklistItem,
    CompanyDay,
    PhaseChoices,
    PolicyVersion,
    VisitRule,
)
from huifang.policy.national_days import YearSource, year_sources
from huifang.policy.queries import workday_calendar
from huifang.visits.models import VisitForm

PHASE_ORDER = ("kickoff", "ongoing", "closing", "aftercare")


@dataclass(frozen=True)
class RuleText:
    phase: str
    phase_label: str
    when: str  # e.g. "within 7 days after the project starts"
    window_days: int
    offset_days: int
    anchor: str


@dataclass(frozen=True)
class ChecklistText:
    phase: str
    phase_label: str
    items: list[str]


@dataclass(frozen=True)
class CompanyDayText:
    date: datetime.date
    kind: str
    kind_label: str
    name: str


@dataclass
class PolicyDocument:
    version: PolicyVersion
    rules: list[RuleText]
    ongoing: bool
    checklists: list[ChecklistText]
    visit_forms: str  # "Face to face, Phone, ..." with the language's list separator
    survey_phase_label: str
    on_time_rate_percent: Decimal
    calendar_kind: str
    calendar_label: str
    company_days: list[CompanyDayText]
    years_without_adjusted_workdays: list[int] = field(default_factory=list)
    # Which source decides each year's national days (China's calendar only).
    year_sources: list[YearSource] = field(default_factory=list)

    def rule(self, phase: str) -> RuleText | None:
        return next((rule for rule in self.rules if rule.phase == phase), None)

    @property
    def kickoff(self) -> RuleText | None:
        return self.rule("kickoff")

    @property
    def closing(self) -> RuleText | None:
        return self.rule("closing")

    @property
    def aftercare(self) -> RuleText | None:
        return self.rule("aftercare")


def rule_timing(*, anchor: str, offset_days: int, window_days: int) -> str:
    """A rule's window in words: ``window_start = anchor + offset``, ``due =
    window_start + window``."""
    first, last = offset_days, offset_days + window_days
    at_start = anchor == AnchorChoices.START
    if first == 0:
        if at_start:
            return _("within %(days)d days after the project starts") % {"days": last}
        return _("within %(days)d days after the project ends") % {"days": last}
    if first > 0:
        values = {"first": first, "last": last}
        if at_start:
            return _("between day %(first)d and day %(last)d after the project starts") % values
        return _("between day %(first)d and day %(last)d after the project ends") % values
    if last <= 0:
        values = {"first": -first, "last": -last}
        if at_start:
            return _("between %(first)d and %(last)d days before the project starts") % values
        return _("between %(first)d and %(last)d days before the project ends") % values
    values = {"first": -first, "last": last}
    if at_start:
        return _("from %(first)d days before to %(last)d days after the project starts") % values
    return _("from %(first)d days before to %(last)d days after the project ends") % values


def _phase_label(phase: str) -> str:
    return str(PhaseChoices(phase).label)


def build_document(
    version: PolicyVersion, *, today: datetime.date, years_ahead: int = 1
) -> PolicyDocument:
    """The document's facts for ``version``, in the active language. The working-day
    caveat covers this year and ``years_ahead`` more (the years visits are planned in)."""
    rules: list[VisitRule] = sorted(version.rules.all(), key=lambda r: PHASE_ORDER.index(r.phase))
    items: list[ChecklistItem] = list(version.checklist_items.all())
    chinese = (get_language() or "").lower().startswith("zh")
    checklists = [
        ChecklistText(
            phase=phase,
            phase_label=_phase_label(phase),
            items=[
                item.label_zh if chinese else item.label_en
                for item in sorted(items, key=lambda i: i.position)
                if item.phase == phase
            ],
        )
        for phase in PHASE_ORDER
        if any(item.phase == phase for item in items)
    ]
    calendar = workday_calendar(version)
    years = range(today.year, today.year + years_ahead + 1)
    company_days = [
        CompanyDayText(
            date=day.date, kind=day.kind, kind_label=day.get_kind_display(), name=day.name
        )
        for day in CompanyDay.objects.filter(date__year__gte=today.year).order_by("date")
    ]
    return PolicyDocument(
        version=version,
        rules=[
            RuleText(
                phase=rule.phase,
                phase_label=_phase_label(rule.phase),
                when=rule_timing(
                    anchor=rule.anchor,
                    offset_days=rule.offset_days,
                    window_days=rule.window_days,
                ),
                window_days=rule.window_days,
                offset_days=rule.offset_days,
                anchor=rule.anchor,
            )
            for rule in rules
            if rule.phase != "ongoing"
        ],
        ongoing=any(rule.phase == "ongoing" for rule in rules),
        checklists=checklists,
        # Translators: the separator of a list of items, e.g. "、" in Chinese.
        visit_forms=_(", ").join(str(label) for label in VisitForm.labels),
        survey_phase_label=(
            _phase_label(version.survey_after_phase) if version.survey_after_phase else ""
        ),
        on_time_rate_percent=(version.target_on_time_rate * 100).quantize(Decimal("0.1")),
        calendar_kind=str(calendar.kind),
        calendar_label=version.get_calendar_display(),
        company_days=company_days,
        years_without_adjusted_workdays=(
            calendar.years_without_adjusted_workdays(years)
            if calendar.kind == CalendarKind.CHINA
            else []
        ),
        year_sources=year_sources(years) if calendar.kind == CalendarKind.CHINA else [],
    )
