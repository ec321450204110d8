"""Every write of the notification outbox: creating notifications (once), claiming
and sending their deliveries (by one worker at a time), reading them, preferences and
webhook endpoints."""

from __future__ import annotations

import datetime
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from celery import Task
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone, translation

from huifang.celery import app as celery_app
from huifang.core.concurrency import lock_at_version, row_version, version_token
from huifang.core.models import User
from huifang.notify import channels
from huifang.notify.messages import Message, build_message
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

PREFERENCE_FIELDS = ("email", "webhook", "weekly_digest")


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
    """The notification's unique key: kind, subject, recipient and occasion.

    The subject's model is named by its natural key (``visits.visit``), never by its
    content type's id: a JSON backup leaves content types out and a restored (or
    freshly migrated) database numbers them differently, so an id-based key made the
    next sweep tell everyone again. Subject and recipient ids are the rows' own
    primary keys, which every backup format keeps. Migration 0003 rewrote the keys
    stored in the earlier form."""
    model = f"{subject_type.app_label}.{subject_type.model}"
    return f"{kind}:{model}:{subject_id}:{recipient_id}:{occasion}"[:255]


@dataclass(frozen=True)
class NotifyRequest:
    """One notification to create: ``recipient`` told about ``subject`` on ``occasion``
    (the arguments of :func:`notify`, for :func:`notify_many`)."""

    recipient: User
    kind: str
    subject: models.Model
    occasion: str
    context: dict[str, Any] | None = None
    project: Any = None


@dataclass(frozen=True)
class _Prepared:
    """A request that passed every check: the recipient is active, wants this kind,
    and no notification with its key existed when we looked."""

    request: NotifyRequest
    preference: NotificationPreference
    subject_type: ContentType
    key: str


def _preferences(requests: list[NotifyRequest]) -> dict[int, NotificationPreference]:
    """The stored preference (or the defaults) of every recipient that is active now,
    in one query; a recipient deactivated (or deleted) since it was loaded is absent."""
    fields = (
        "notification_preference__pk",
        *(f"notification_preference__{n}" for n in PREFERENCE_FIELDS),
    )
    rows = User.objects.filter(
        pk__in={request.recipient.pk for request in requests}, is_active=True
    ).values_list("pk", *fields)
    preferences = {}
    for user_id, stored, *choices in rows:
        preference = NotificationPreference(user_id=user_id)
        if stored is not None:
            preference.pk = stored
            for name, value in zip(PREFERENCE_FIELDS, choices, strict=True):
                setattr(preference, name, value)
        preferences[user_id] = preference
    return preferences


def _prepare(requests: list[NotifyRequest]) -> list[_Prepared]:
    """The requests still to be created: two queries however many there are."""
    requests = [r for r in requests if r.recipient.is_active]
    if not requests:
        return []
    preferences = _preferences(requests)
    candidates: dict[str, _Prepared] = {}
    for request in requests:
        preference = preferences.get(request.recipient.pk)
        if preference is None:
            continue
        if request.kind == Kind.WEEKLY_DIGEST and not preference.weekly_digest:
            continue
        subject_type = ContentType.objects.get_for_model(request.subject)
        key = idempotency_key(
            kind=request.kind,
            subject_type=subject_type,
            subject_id=request.subject.pk,
            recipient_id=request.recipient.pk,
            occasion=request.occasion,
        )
        # The same notification asked for twice in one batch is created once.
        candidates.setdefault(key, _Prepared(request, preference, subject_type, key))
    if not candidates:
        return []
    existing = set(
        Notification.objects.filter(idempotency_key__in=list(candidates)).values_list(
            "idempotency_key", flat=True
        )
    )
    return [item for key, item in candidates.items() if key not in existing]


def _endpoints(items: list[_Prepared]) -> dict[int | None, list[WebhookEndpoint]]:
    """The active endpoints hearing about each project of ``items`` whose recipient
    posts to group chats (what ``WebhookEndpoint.objects.for_project`` gives), in one
    query."""
    project_ids = {
        getattr(item.request.project, "pk", None) for item in items if item.preference.webhook
    }
    if not project_ids:
        return {}
    ids = [pk for pk in project_ids if pk is not None]
    endpoints = list(
        WebhookEndpoint.objects.filter(is_active=True).filter(
            Q(project__isnull=True) | Q(project_id__in=ids)
        )
    )
    everywhere = [e for e in endpoints if e.project_id is None]
    return {
        pk: everywhere + [e for e in endpoints if pk is not None and e.project_id == pk]
        for pk in project_ids
    }


def _render(items: list[_Prepared]) -> list[Notification]:
    """The notifications of ``items``, each rendered in its recipient's language
    (one language switch per language, not per notification)."""
    languages: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        language = item.request.recipient.language or settings.LANGUAGE_CODE
        languages.setdefault(language, []).append(index)
    messages: dict[int, Message] = {}
    for language, indexes in languages.items():
        with translation.override(language):
            for index in indexes:
                request = items[index].request
                context = dict(request.context or {})
                messages[index] = build_message(request.kind, request.subject, context)
    return [
        Notification(
            recipient=item.request.recipient,
            kind=item.request.kind,
            subject_type=item.subject_type,
            subject_id=item.request.subject.pk,
            project=item.request.project,
            occasion=item.request.occasion,
            idempotency_key=item.key,
            params=messages[index].params,
            title=messages[index].title[:300],
            body=messages[index].body,
            url=messages[index].url,
        )
        for index, item in enumerate(items)
    ]


def _insert(items: list[_Prepared]) -> tuple[list[Notification], list[int]]:
    """Create the notifications of ``items`` and their deliveries (two INSERTs), or
    none of them: an :class:`IntegrityError` (a key created meanwhile by a parallel
    caller) rolls back to the savepoint, so a caller's transaction survives it.
    Returns the notifications and the ids of the deliveries to send."""
    notifications = _render(items)
    endpoints = _endpoints(items)
    now = timezone.now()
    with transaction.atomic():
        Notification.objects.bulk_create(notifications)
        if any(n.pk is None for n in notifications):  # a database without RETURNING
            ids = dict(
                Notification.objects.filter(
                    idempotency_key__in=[item.key for item in items]
                ).values_list("idempotency_key", "pk")
            )
            for notification in notifications:
                notification.pk = ids[notification.idempotency_key]
        deliveries: list[Delivery] = []
        for item, notification in zip(items, notifications, strict=True):
            # By id: a delivery's objects are not used here, and thirty thousand
            # related-object assignments are a noticeable part of a sweep.
            notification_id = notification.pk
            deliveries.append(
                Delivery(
                    notification_id=notification_id,
                    channel=Channel.IN_APP,
                    status=DeliveryStatus.SENT,
                    sent_at=now,
                )
            )
            if item.preference.email and item.request.recipient.email:
                deliveries.append(Delivery(notification_id=notification_id, channel=Channel.EMAIL))
            if item.preference.webhook:
                project_id = getattr(item.request.project, "pk", None)
                deliveries.extend(
                    Delivery(
                        notification_id=notification_id,
                        channel=Channel.WEBHOOK,
                        target_id=endpoint.pk,
                    )
                    for endpoint in endpoints.get(project_id, [])
                )
        Delivery.objects.bulk_create(deliveries)
    pending = [d.pk for d in deliveries if d.status == DeliveryStatus.PENDING]
    return notifications, pending


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
    request = NotifyRequest(recipient, kind, subject, occasion, context, project)
    items = _prepare([request])
    if not items:
        return None
    try:
        (notification,), pending = _insert(items)
    except IntegrityError:
        return None
    if pending:
        transaction.on_commit(lambda: enqueue_each(pending))
    return notification


def notify_many(requests: Iterable[NotifyRequest]) -> list[Notification]:
    """:func:`notify` for many requests at once (the sweep): the same checks and the
    same rows, in a handful of queries rather than eight per notification. Returns
    the notifications created (the others existed already or are not wanted).

    The deliveries to send are queued after commit as one message that a worker fans
    out; without a broker they are left to the periodic requeue rather than sent here,
    inline, one by one (thousands of e-mails would hold the caller for minutes)."""
    items = _prepare(list(requests))
    if not items:
        return []
    try:
        notifications, pending = _insert(items)
    except IntegrityError:
        # A parallel caller created some of these since we looked: one at a time, each
        # in its own savepoint, so that only the ones it won are skipped.
        notifications, pending = [], []
        for item in items:
            try:
                (notification,), more = _insert([item])
            except IntegrityError:
                continue
            notifications.append(notification)
            pending.extend(more)
    if pending:
        transaction.on_commit(lambda: _enqueue_batch(pending, inline=False))
    return notifications


def _broker_less() -> bool:
    return bool(celery_app.conf.task_always_eager)


def _task(name: str) -> Task:
    """One of ``notify/tasks.py``'s tasks, from Celery's registry. The tasks sit above
    this module (they load by id and call these services), so it looks them up by
    name rather than importing them, which would close an import cycle; the app's
    ``ready()`` imports the task module, so the registry always holds them."""
    return celery_app.tasks[f"huifang.notify.tasks.{name}"]


def enqueue_each(delivery_ids: list[int]) -> None:
    """One message per delivery (without a broker: each sent here, inline)."""
    send_delivery_task = _task("send_delivery")
    for delivery_id in delivery_ids:
        try:
            send_delivery_task.delay(delivery_id)
        except Exception:  # the broker is down: requeue_deliveries picks it up later
            log.exception("could not enqueue delivery %s", delivery_id)
            # The next publish would wait out the same retries; the rest wait too.
            return


def _enqueue_batch(delivery_ids: list[int], *, inline: bool) -> None:
    """One message for many deliveries, fanned out by a worker (a publish costs about
    a millisecond; a sweep queues ten thousand deliveries). Without a broker they are
    sent here and now if ``inline``, else left pending for the periodic requeue."""
    if _broker_less():
        if inline:
            enqueue_each(delivery_ids)
        return
    try:
        _task("enqueue_deliveries_task").delay(delivery_ids)
    except Exception:  # the broker is down: requeue_deliveries picks them up later
        log.exception("could not enqueue %s deliveries", len(delivery_ids))


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
        transaction.on_commit(lambda: _enqueue_batch(ids, inline=True))
    return len(ids)


@transaction.atomic
def retry_delivery(*, delivery: Delivery) -> Delivery:
    """An admin asks a failed delivery to be tried again."""
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=None
    )
    delivery.refresh_from_db()
    if delivery.status == DeliveryStatus.PENDING:
        transaction.on_commit(lambda: enqueue_each([delivery.pk]))
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
