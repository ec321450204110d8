"""The bell's unread count for every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from huifang.notify.models import Notification


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: counted only when a template shows the bell. Read fresh, never cached:
    # marking a notification read is bookkeeping, which does not move the data version
    # (core.dataversion.BOOKKEEPING_COLUMNS). One count on the inbox's index.
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return {"unread_notification_count": unread.count}
