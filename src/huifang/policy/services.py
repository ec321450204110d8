"""Every write to the policy goes through here."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError
from huifang.policy.models import (
    ChecklistItem,
    Policy,
    PolicyVersion,
    PolicyVersionStatus,
    VisitRule,
)

if TYPE_CHECKING:
    from huifang.core.models import User

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
) -> PolicyVersion:
    """Publish a draft. From then on it is immutable; projects following the policy
    are re-planned by the caller (see :func:`replan_policy_projects`)."""
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.is_published:
        raise DomainError(_("This policy version is already published and cannot change."))
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
