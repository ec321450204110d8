"""Every write to the policy goes through here."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from huifang.core.concurrency import check_version, row_version
from huifang.core.errors import DomainError
from huifang.core.models import User
from huifang.notify.models import Kind
from huifang.notify.services import NotifyRequest, notify_many
from huifang.policy.models import (
    ChecklistItem,
    CompanyDay,
    Policy,
    PolicyVersion,
    PolicyVersionStatus,
    VisitRule,
)
from huifang.policy.queries import version_in_force
from huifang.projects.models import Project, ProjectStatusChoices
from huifang.visits.planning import PlanningContext, PlanResult, plan_projects

# The seed's timing (二): a first visit within the first week after the start, a visit
# every two weeks or every month while running, a closing visit within the first week
# after completion. Aftercare is off unless a company adds it.
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {"phase": "kickoff", "anchor": "start", "offset_days": 0, "window_days": 7},
    {"phase": "ongoing", "anchor": "start", "offset_days": 0, "window_days": 0},
    {"phase": "closing", "anchor": "end", "offset_days": 0, "window_days": 7},
)

DEFAULT_CHECKLIST: tuple[tuple[str, str, str, str], ...] = (
    (
        "kickoff",
        "goals_confirmed",
        "项目目标已与客户确认",
        "Project goals confirmed with the customer",
    ),
    (
        "kickoff",
        "plan_confirmed",
        "项目计划已与客户确认",
        "Project plan confirmed with the customer",
    ),
    ("closing", "results_accepted", "客户已验收项目成果", "Results accepted by the customer"),
    (
        "closing",
        "lessons_learned",
        "已总结经验教训供后续项目参考",
        "Lessons recorded for future projects",
    ),
)


@transaction.atomic
def create_policy_draft(
    *, policy: Policy, based_on: PolicyVersion | None = None, change_note: str = ""
) -> PolicyVersion:
    """A new draft version, copying rules and settings from ``based_on`` if given."""
    last = policy.versions.order_by("-number").values_list("number", flat=True).first() or 0
    if based_on is None:
        draft = PolicyVersion.objects.create(
            policy=policy, number=last + 1, change_note=change_note
        )
        VisitRule.objects.bulk_create(VisitRule(version=draft, **rule) for rule in DEFAULT_RULES)
        ChecklistItem.objects.bulk_create(
            ChecklistItem(version=draft, phase=phase, key=key, label_zh=zh, label_en=en, position=i)
            for i, (phase, key, zh, en) in enumerate(DEFAULT_CHECKLIST)
        )
        return draft
    copied = PolicyVersion.objects.get(pk=based_on.pk)
    copied.pk = None
    copied._state.adding = True
    copied._stored_status = None
    copied.number = last + 1
    copied.status = PolicyVersionStatus.DRAFT
    copied.effective_from = None
    copied.published_at = None
    copied.published_by = None
    copied.change_note = change_note
    copied.save()
    VisitRule.objects.bulk_create(
        VisitRule(
            version=copied,
            phase=rule.phase,
            anchor=rule.anchor,
            offset_days=rule.offset_days,
            window_days=rule.window_days,
        )
        for rule in based_on.rules.all()
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            version=copied,
            phase=item.phase,
            key=item.key,
            label_zh=item.label_zh,
            label_en=item.label_en,
            position=item.position,
        )
        for item in based_on.checklist_items.all()
    )
    return copied


@transaction.atomic
def publish_policy_version(
    *,
    version: PolicyVersion,
    effective_from: datetime.date,
    published_by: User | None,
    change_note: str | None = None,
    expected_version: str | None = None,
) -> PolicyVersion:
    """Publish a draft. From then on it is immutable; projects following the policy
    are re-planned by the caller (see :func:`replan_policy_projects`). With
    ``expected_version`` (the publish page) a draft changed since is not published."""
    locked = _locked_draft(version, expected_version)
    if not locked.rules.filter(phase="kickoff").exists():
        raise DomainError(_("A policy needs a kickoff visit rule before it can be published."))
    locked.status = PolicyVersionStatus.PUBLISHED
    locked.effective_from = effective_from
    locked.published_at = timezone.now()
    locked.published_by = published_by
    if change_note is not None:
        locked.change_note = change_note
    locked.save()
    return locked


def _ask_to_acknowledge(version: PolicyVersion) -> None:
    """Everyone signed up is told that a revision of the policy they acknowledge is
    published (the page banner asks too, once it is in force); once per version. The
    first version of a new install tells nobody: there is nothing new to them."""
    notify_many(
        NotifyRequest(
            recipient=person,
            kind=Kind.POLICY_PUBLISHED,
            subject=version,
            occasion=f"published:{version.number}",
        )
        for person in User.objects.filter(is_active=True).order_by("pk")
    )


@transaction.atomic
def ensure_default_policy() -> Policy:
    """The policy every new install starts with: the seed's timing, published."""
    policy = Policy.objects.filter(is_default=True).first()
    if policy is not None:
        return policy
    policy = Policy.objects.create(
        name="项目回访管理制度 / Project follow-up visit policy",
        description="",
        is_default=True,
    )
    draft = create_policy_draft(policy=policy, change_note="Initial version / 初始版本")
    publish_policy_version(
        version=draft,
        effective_from=datetime.date(2000, 1, 1),
        published_by=None,
    )
    return policy


# --- Editing drafts -----------------------------------------------------------------
# A draft is edited as a whole (settings, rules, checklist) in one transaction, so a
# half-saved draft never exists; published versions are refused before anything is
# written (the model refuses them too, as the last line of defence).

DRAFT_SETTINGS: tuple[str, ...] = (
    "calendar",
    "ongoing_clearance_days",
    "rolling_horizon_days",
    "reminder_lead_days",
    "escalate_to_manager_days",
    "escalate_to_quality_days",
    "missed_grace_days",
    "survey_expiry_days",
    "survey_reminder_days",
    "survey_after_phase",
    "target_on_time_rate",
    "target_csat",
    "target_nps",
    "target_action_closure_days",
)


@dataclass(frozen=True)
class RuleSetting:
    """One phase's rule as edited: ``enabled=False`` removes the phase from the plan."""

    phase: str
    enabled: bool
    anchor: str = "start"
    offset_days: int = 0
    window_days: int = 7


@dataclass(frozen=True)
class ChecklistEntry:
    """A checklist item as edited; ``key`` is kept for existing items (records store
    their answers by key) and made up from the label for new ones."""

    phase: str
    label_zh: str
    label_en: str
    key: str = ""


def draft_version(version: PolicyVersion) -> str:
    """The version the draft's pages carry: its settings, change note, rules and
    checklist (see :mod:`huifang.core.concurrency`)."""
    rules = version.rules.order_by("phase").values_list(
        "phase", "anchor", "offset_days", "window_days"
    )
    items = version.checklist_items.order_by("position", "pk").values_list(
        "phase", "key", "label_zh", "label_en"
    )
    return row_version(
        version,
        fields=(*DRAFT_SETTINGS, "status", "change_note"),
        extra=[list(rules), list(items)],
    )


def _locked_draft(version: PolicyVersion, expected_version: str | None = None) -> PolicyVersion:
    """The draft locked for the write; published since (or, with ``expected_version``,
    changed since) is refused."""
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.is_published:
        raise DomainError(_("This policy version is already published and cannot change."))
    check_version(current=draft_version(locked), expected=expected_version)
    return locked


def _unique_key(entry: ChecklistEntry, taken: set[tuple[str, str]]) -> str:
    base = (entry.key or slugify(entry.label_en) or "item")[:36].strip("-") or "item"
    key, n = base, 2
    while (entry.phase, key) in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add((entry.phase, key))
    return key


@transaction.atomic
def update_policy_draft(
    *,
    version: PolicyVersion,
    settings: Mapping[str, Any],
    rules: Sequence[RuleSetting],
    checklist: Sequence[ChecklistEntry],
    expected_version: str | None = None,
) -> PolicyVersion:
    """Replace a draft's settings, visit rules and checklist with the given ones."""
    draft = _locked_draft(version, expected_version)
    unknown = set(settings) - set(DRAFT_SETTINGS)
    if unknown:
        raise ValueError(f"not draft settings: {sorted(unknown)}")
    for name, value in settings.items():
        setattr(draft, name, value)
    if draft.escalate_to_quality_days < draft.escalate_to_manager_days:
        raise DomainError(
            _("Escalation to quality managers cannot come before escalation to the manager.")
        )
    enabled = [rule for rule in rules if rule.enabled]
    if not any(rule.phase == "kickoff" for rule in enabled):
        raise DomainError(_("The kickoff visit cannot be switched off."))
    draft.save()
    draft.rules.all().delete()
    VisitRule.objects.bulk_create(
        VisitRule(
            version=draft,
            phase=rule.phase,
            anchor=rule.anchor,
            offset_days=rule.offset_days,
            window_days=rule.window_days,
        )
        for rule in enabled
    )
    draft.checklist_items.all().delete()
    taken: set[tuple[str, str]] = set()
    # Existing keys first, so a new item never takes the key an old one keeps.
    keys = {id(entry): _unique_key(entry, taken) for entry in checklist if entry.key}
    keys |= {id(entry): _unique_key(entry, taken) for entry in checklist if not entry.key}
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            version=draft,
            phase=entry.phase,
            key=keys[id(entry)],
            label_zh=entry.label_zh,
            label_en=entry.label_en,
            position=position,
        )
        for position, entry in enumerate(checklist)
    )
    return draft


# --- Re-planning after a publication ---------------------------------------------------


# The settings that decide reminders, escalation and missed visits rather than dates:
# a revision that changes only these moves no visit, and the publisher is told so.
REMINDER_SETTINGS: tuple[str, ...] = (
    "reminder_lead_days",
    "escalate_to_manager_days",
    "escalate_to_quality_days",
    "missed_grace_days",
    "survey_reminder_days",
    "survey_expiry_days",
)


@dataclass(frozen=True)
class SettingChange:
    """One setting a revision changed: the field's name and its old and new values."""

    name: str
    old: Any
    new: Any


@dataclass
class ReplanSummary:
    """What publishing changed in the projects' plans, for the page that published."""

    effective_from: datetime.date
    projects: int = 0
    deferred: bool = False
    result: PlanResult = field(default_factory=PlanResult)
    # Reminder and escalation settings that differ from the version published before.
    reminder_changes: list[SettingChange] = field(default_factory=list)


def reminder_changes(
    previous: PolicyVersion | None, published: PolicyVersion
) -> list[SettingChange]:
    if previous is None:
        return []
    return [
        SettingChange(name, getattr(previous, name), getattr(published, name))
        for name in REMINDER_SETTINGS
        if getattr(previous, name) != getattr(published, name)
    ]


def replan_policy_projects(
    *, policy: Policy, effective_from: datetime.date, today: datetime.date | None = None
) -> ReplanSummary:
    """Re-plan the projects that follow ``policy`` once a version takes effect.

    Semantics of "re-planned from the effective date": planning always uses the
    version in force on the planning day, and only visits that are still ``planned``
    (not scheduled, done, missed, cancelled, recorded or ad hoc) ever move. So:

    * effective today or earlier: every non-cancelled project of the policy is
      re-planned now under the new version, and the summary says what moved;
    * effective later: nothing changes now (re-planning now would use the version
      still in force, and the planning run of any day before the effective date would
      put the old plan back). The summary says the plans change on that date, when
      the periodic planning run (``huifang plan --all``) plans with the new version.
    """
    today = today or timezone.localdate()
    summary = ReplanSummary(effective_from=effective_from)
    projects = Project.objects.filter(policy=policy).exclude(status=ProjectStatusChoices.CANCELLED)
    if effective_from > today:
        summary.deferred = True
        summary.projects = projects.count()
        return summary
    version = version_in_force(policy, on=today)
    if version is None:
        return summary
    # In chunks, as the planning run over all projects: a fixed number of queries per
    # chunk of projects rather than a handful per project (80 s for 10,000 of them).
    context = PlanningContext.for_version(version)
    for result in plan_projects(projects, today=today, context=context):
        summary.projects += 1
        summary.result.created.extend(result.created)
        summary.result.moved.extend(result.moved)
        summary.result.removed += result.removed
        summary.result.cancelled += result.cancelled
        summary.result.restamped += result.restamped
    return summary


def publish_policy_revision(
    *,
    version: PolicyVersion,
    effective_from: datetime.date,
    change_note: str,
    published_by: User | None,
    today: datetime.date | None = None,
    expected_version: str | None = None,
) -> tuple[PolicyVersion, ReplanSummary]:
    """Publish a draft and re-plan the projects that follow its policy, together: a
    publication whose re-planning failed is rolled back rather than left half done."""
    with transaction.atomic():
        previous = (
            PolicyVersion.objects.published()
            .filter(policy_id=version.policy_id)
            .order_by("-effective_from", "-number")
            .first()
        )
        latest = previous.effective_from if previous is not None else None
        if latest is not None and effective_from < latest:
            # An earlier date would never take effect: the later version stays in force.
            raise DomainError(
                _(
                    "The effective date cannot be before %(date)s, "
                    "when the latest version took effect."
                )
                % {"date": formats.date_format(latest)}
            )
        published = publish_policy_version(
            version=version,
            effective_from=effective_from,
            published_by=published_by,
            change_note=change_note,
            expected_version=expected_version,
        )
        summary = replan_policy_projects(
            policy=published.policy, effective_from=effective_from, today=today
        )
        summary.reminder_changes = reminder_changes(previous, published)
        if previous is not None and published.policy.is_default:
            _ask_to_acknowledge(published)
    return published, summary


# --- Company days ----------------------------------------------------------------------


@transaction.atomic
def add_company_day(*, date: datetime.date, kind: str, name: str = "") -> CompanyDay:
    """A company holiday or working day; a date is one or the other, never both."""
    existing = CompanyDay.objects.select_for_update().filter(date=date).first()
    if existing is not None:
        if existing.kind == kind:
            raise DomainError(_("This date is already listed."))
        raise DomainError(
            _("This date is already a %(kind)s: remove it first to change it.")
            % {"kind": existing.get_kind_display().lower()}
        )
    return CompanyDay.objects.create(date=date, kind=kind, name=name)


@transaction.atomic
def remove_company_day(*, day: CompanyDay) -> CompanyDay:
    CompanyDay.objects.filter(pk=day.pk).delete()
    return day
