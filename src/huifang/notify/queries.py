"""Reads of the notification outbox that pages share."""

from __future__ import annotations

from django.db.models import QuerySet

from huifang.core.models import User
from huifang.notify.models import Delivery, DeliveryStatus, Notification


def inbox(user: User, *, search: str = "", unread: bool | None = None) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user).select_related("project")
    if search:
        notifications = notifications.filter(title__icontains=search)
    if unread:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def failed_deliveries() -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(status=DeliveryStatus.FAILED)
        .select_related("notification__recipient", "target")
        .order_by("-created_at", "-pk")
    )
