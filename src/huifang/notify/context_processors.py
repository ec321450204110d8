"""The bell's unread count for every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from huifang.notify.models import Notification


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: the count query runs only when a template shows the bell.
    return {
        "unread_notification_count": lambda: Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count()
    }
