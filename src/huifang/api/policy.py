"""Policy versions (read only): everyone signed in reads the published ones; drafts
are visible to those who may manage the policy."""

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from huifang.api.common import READ_ERRORS, Paginator, PathId, caller, get_visible
from huifang.core import access
from huifang.policy.models import PolicyVersion, PolicyVersionStatus

router = Router(tags=["policy"])


class VisitRuleOut(Schema):
    phase: str
    anchor: str
    offset_days: int
    window_days: int


class PolicyVersionOut(Schema):
    id: int
    policy_id: int
    policy_name: str
    number: int
    status: str
    effective_from: datetime.date | None
    change_note: str
    published_at: datetime.datetime | None
    calendar: str
    reminder_lead_days: int
    missed_grace_days: int
    survey_expiry_days: int
    target_on_time_rate: float
    target_csat: float
    target_nps: float
    target_action_closure_days: int

    @staticmethod
    def resolve_policy_name(obj: Any) -> str:
        return str(obj.policy.name)


class PolicyVersionDetailOut(PolicyVersionOut):
    rules: list[VisitRuleOut]

    @staticmethod
    def resolve_rules(obj: Any) -> list[Any]:
        return list(obj.rules.all())


def _versions(request: HttpRequest) -> QuerySet[PolicyVersion]:
    versions = PolicyVersion.objects.select_related("policy")
    if not access.can_manage_policy(caller(request)):
        versions = versions.filter(status=PolicyVersionStatus.PUBLISHED)
    return versions


@router.get("/policy/versions", response={200: list[PolicyVersionOut], **READ_ERRORS})
@paginate(Paginator)
def list_policy_versions(request: HttpRequest) -> Any:
    return _versions(request).order_by("policy__name", "-number", "pk")


@router.get(
    "/policy/versions/{int:version_id}",
    response={200: PolicyVersionDetailOut, **READ_ERRORS},
)
def get_policy_version(request: HttpRequest, version_id: PathId) -> Any:
    return get_visible(_versions(request).prefetch_related("rules"), version_id)
