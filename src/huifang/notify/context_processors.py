"""The bell's unread count for every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from huifang.core import dataversion
from huifang.notify.models import Notification


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)

    # Lazy: counted only when a template shows the bell, and kept until the data
    # changes (a new notification or one marked read moves the data version).
    def count() -> int:
        return dataversion.cached("notify.unread", (user.pk,), unread.count)

    return {"unread_notification_count": count}
