"""The banner that asks for the policy in force to be acknowledged, on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language

from huifang.core import dataversion
from huifang.insights.models import PolicyAcknowledgement
from huifang.insights.queries import version_to_acknowledge


def policy_to_acknowledge(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    today = timezone.localdate()

    def version_label() -> str:
        version = version_to_acknowledge(today)
        if version is None:
            return ""
        done = PolicyAcknowledgement.objects.filter(user=user, version=version).exists()
        return "" if done else str(version)

    # Lazy: looked up only when a template shows the banner, and kept per user and day
    # until the data changes (publishing a version or acknowledging one moves it).
    def pending() -> str:
        # Cacheable: this user's answer of the day, keyed by language in case of words.
        return dataversion.cached(
            "insights.to_acknowledge",
            (user.pk, today.isoformat(), get_language()),
            version_label,
        )

    return {"policy_to_acknowledge": pending}
