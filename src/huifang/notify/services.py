"""Every write of the notification outbox: creating notifications (once), claiming
and sending their deliveries (by one worker at a time), reading them, preferences and
webhook endpoints."""

from __future__ import annotations

import datetime
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone, translation

from huifang.core.concurrency import lock_at_version, row_version, version_token
from huifang.core.models import User
from huifang.notify import channels
from huifang.notify.messages import build_message
from huifang.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Kind,
    Notification,
    NotificationPreference,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)

# Kinds a person can switch off entirely (reminders about their own work cannot be).
OPTIONAL_KINDS = {Kind.WEEKLY_DIGEST}


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HUIFANG_NOTIFY_LEASE_SECONDS)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def preference_for(user: User) -> NotificationPreference:
    """The user's stored preference, or the defaults (not saved)."""
    try:
        return NotificationPreference.objects.get(user=user)
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def idempotency_key(
    *, kind: str, subject_type: ContentType, subject_id: Any, recipient_id: int, occasion: str
) -> str:
    return f"{kind}:{subject_type.pk}:{subject_id}:{recipient_id}:{occasion}"[:255]


def notify(
    *,
    recipient: User,
    kind: str,
    subject: models.Model,
    occasion: str,
    context: dict[str, Any] | None = None,
    project: Any = None,
) -> Notification | None:
    """Tell ``recipient`` about ``subject`` on ``occasion``, once.

    Creates the notification (rendered in the recipient's language) and one delivery
    per channel the recipient uses; the deliveries are queued after the surrounding
    transaction commits. Returns ``None`` when this notification already exists
    (idempotent: the database's unique key decides, even across concurrent sweeps)."""
    if not recipient.is_active:
        return None
    preference = preference_for(recipient)
    if kind == Kind.WEEKLY_DIGEST and not preference.weekly_digest:
        return None
    subject_type = ContentType.objects.get_for_model(subject)
    key = idempotency_key(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject.pk,
        recipient_id=recipient.pk,
        occasion=occasion,
    )
    if Notification.objects.filter(idempotency_key=key).exists():
        return None
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        message = build_message(kind, subject, dict(context or {}))
    now = timezone.now()
    try:
        # The savepoint lets a caller's transaction survive losing the race.
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                subject_type=subject_type,
                subject_id=subject.pk,
                project=project,
                occasion=occasion,
                idempotency_key=key,
                title=message.title[:300],
                body=message.body,
                url=message.url,
            )
            deliveries = [
                Delivery(
                    notification=notification,
                    channel=Channel.IN_APP,
                    status=DeliveryStatus.SENT,
                    sent_at=now,
                )
            ]
            if preference.email and recipient.email:
                deliveries.append(Delivery(notification=notification, channel=Channel.EMAIL))
            if preference.webhook:
                project_id = project.pk if project is not None else None
                deliveries.extend(
                    Delivery(notification=notification, channel=Channel.WEBHOOK, target=endpoint)
                    for endpoint in WebhookEndpoint.objects.for_project(project_id)
                )
            Delivery.objects.bulk_create(deliveries)
    except IntegrityError:
        return None
    pending = [d.pk for d in deliveries if d.status == DeliveryStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: _enqueue(pending))
    return notification


def _enqueue(delivery_ids: list[int]) -> None:
    from huifang.notify.tasks import send_delivery

    for delivery_id in delivery_ids:
        try:
            send_delivery.delay(delivery_id)
        except Exception:  # the broker is down: requeue_deliveries picks it up later
            log.exception("could not enqueue delivery %s", delivery_id)


def claim_delivery(*, delivery_id: int, worker: str | None = None) -> bool:
    """Take a delivery for sending with one conditional UPDATE: pending and due, or
    sending with an expired lease (its worker died). Exactly one caller wins."""
    now = timezone.now()
    claimable = Q(status=DeliveryStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    claimable |= Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - _lease())
    updated = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=DeliveryStatus.SENDING,
        claimed_by=(worker or _worker_name())[:120],
        claimed_at=now,
        attempts=models.F("attempts") + 1,
    )
    return updated == 1


@dataclass(frozen=True)
class SendOutcome:
    status: str  # "sent", "retry", "failed", "skipped"
    retry_in: int = 0


def _backoff(attempts: int) -> int:
    return int(settings.HUIFANG_NOTIFY_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))


def send_delivery(*, delivery_id: int, worker: str | None = None) -> SendOutcome:
    """Claim, send and record one delivery. Not atomic on purpose: the claim must be
    committed before the message leaves, so a second worker cannot take it."""
    if not claim_delivery(delivery_id=delivery_id, worker=worker):
        return SendOutcome("skipped")
    delivery = Delivery.objects.select_related(
        "notification__recipient", "notification__project", "target"
    ).get(pk=delivery_id)
    try:
        channels.send(delivery)
    except Exception as error:  # every channel failure is recorded, none escapes
        return _record_failure(delivery, error)
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return SendOutcome("sent")


def _record_failure(delivery: Delivery, error: Exception) -> SendOutcome:
    message = f"{type(error).__name__}: {error}"[:2000]
    log.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, message)
    if delivery.attempts >= settings.HUIFANG_NOTIFY_MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=message
        )
        return SendOutcome("failed")
    delay = _backoff(delivery.attempts)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        last_error=message,
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
    )
    return SendOutcome("retry", delay)


def requeue_deliveries(*, older_than: datetime.timedelta | None = None) -> int:
    """Queue again what no worker is working on: pending deliveries whose retry time
    has come (or that never reached the broker) and sending ones whose lease expired.
    This is what makes "never lost" true even when a broker message was lost."""
    now = timezone.now()
    grace = older_than if older_than is not None else datetime.timedelta(minutes=1)
    stale = Q(
        status=DeliveryStatus.PENDING,
        created_at__lt=now - grace,
    ) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    stale |= Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    stale |= Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - _lease())
    ids = list(Delivery.objects.filter(stale).values_list("pk", flat=True)[:1000])
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


@transaction.atomic
def retry_delivery(*, delivery: Delivery) -> Delivery:
    """An admin asks a failed delivery to be tried again."""
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None
    )
    delivery.refresh_from_db()
    if delivery.status == DeliveryStatus.PENDING:
        transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return delivery


def mark_notification_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_notifications_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


PREFERENCE_FIELDS = ("email", "webhook", "weekly_digest")
WEBHOOK_FIELDS = ("name", "kind", "url", "secret", "project", "is_active")


def preference_version(user: User) -> str:
    """The version of the preferences page (see :mod:`huifang.core.concurrency`): the
    stored choices, or the defaults while none are stored."""
    preference = preference_for(user)
    return version_token(
        "notification-preference", user.pk, [getattr(preference, n) for n in PREFERENCE_FIELDS]
    )


def webhook_version(endpoint: WebhookEndpoint) -> str:
    """The version of an endpoint's edit page."""
    return row_version(endpoint, fields=WEBHOOK_FIELDS)


@transaction.atomic
def save_notification_preference(
    *,
    user: User,
    email: bool,
    webhook: bool,
    weekly_digest: bool,
    expected_version: str | None = None,
) -> NotificationPreference:
    """With ``expected_version`` (the page's form) a change made since is refused.
    The user's row is the lock: the preference row may not exist yet."""
    lock_at_version(
        User.objects,
        user.pk,
        expected=expected_version,
        version=lambda _locked: preference_version(user),
    )
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "webhook": webhook, "weekly_digest": weekly_digest}
    )
    return preference


@transaction.atomic
def save_webhook_endpoint(
    *,
    endpoint: WebhookEndpoint | None = None,
    expected_version: str | None = None,
    **fields: Any,
) -> WebhookEndpoint:
    """Create an endpoint, or change ``endpoint`` (with ``expected_version``, the edit
    page's form, a change made since is refused)."""
    if endpoint is not None and endpoint.pk is not None:
        endpoint = lock_at_version(
            WebhookEndpoint.objects,
            endpoint.pk,
            expected=expected_version,
            version=webhook_version,
        )
    endpoint = endpoint or WebhookEndpoint()
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def send_test_message(*, endpoint: WebhookEndpoint, user: User) -> None:
    """Post a test message now (the admin waits for the answer); raises
    :class:`channels.ChannelError` with the endpoint's reason on failure."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        channels.send_test(endpoint)
