"""One second of a working day, for the load benchmark's working-day phase.

``make bench`` measures the pages twice: on an idle system and while this runs once a
second (``POST /bench/working-day``, bench mode only). A tick does what a company's
day does between two page views, through the same services the pages use:

* a visit record is written and submitted (``save_visit_record`` then
  ``submit_visit_record``: problems, feedback and actions, the visit done) — data,
  which moves the data version;
* e-mail deliveries queued by the night's sweep are sent (``send_delivery``:
  claimed, sent, stamped) — the workers' bookkeeping, draining the queue;
* notifications are read (``mark_notification_read``) — bookkeeping.

It runs only against benchmark data: the view exists only with ``HUIFANG_BENCH``
(``huifang/urls.py``), never on a demo or development server.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from huifang.customers.models import Contact
from huifang.demo.builder import record_content
from huifang.notify.models import Channel, Delivery, DeliveryStatus, Notification
from huifang.notify.services import mark_notification_read, send_delivery
from huifang.visits.models import Visit, VisitStatus
from huifang.visits.recording import planned_percent, save_visit_record, submit_visit_record

# Per tick: one record, and the mail and reads of a company's second (a sweep's few
# thousand mails drained over the morning, people opening their inbox).
DELIVERIES_PER_TICK = 5
READS_PER_TICK = 3


@dataclass(frozen=True)
class Tick:
    recorded_visit: int | None
    deliveries_sent: int
    notifications_read: int


def working_day_tick(*, keep: Iterable[int] = (), seed: int | None = None) -> Tick:
    """Record one visit, send a few mails, read a few notifications. ``keep``: visits
    that must stay open (the benchmark measures their record form)."""
    rng = random.Random(seed)  # noqa: S311 - made-up record content, not a secret
    return Tick(
        recorded_visit=record_one_visit(rng, keep=set(keep)),
        deliveries_sent=send_some_mail(DELIVERIES_PER_TICK),
        notifications_read=read_some_notifications(READS_PER_TICK),
    )


def record_one_visit(rng: random.Random, *, keep: set[int]) -> int | None:
    """Write and submit, as its owner would, the record of the open visit due most
    recently, or when none is due yet of the one due next (done early)."""
    today = timezone.localdate()
    open_visits = (
        Visit.objects.filter(
            status__in=(VisitStatus.PLANNED, VisitStatus.SCHEDULED),
            record__isnull=True,
            project__status="active",
        )
        .exclude(pk__in=keep)
        .select_related("project", "owner")
    )
    visit = (
        open_visits.filter(due_date__lte=today).order_by("-due_date", "-pk").first()
        or open_visits.filter(due_date__gt=today).order_by("due_date", "pk").first()
    )
    if visit is None:
        return None
    project = visit.project
    owner = visit.owner or project.manager
    respondent = Contact.objects.filter(customer_id=project.customer_id).order_by("pk").first()
    start = project.actual_start or project.planned_start
    content = record_content(
        rng=rng,
        lang="zh",
        phase=visit.phase,
        planned=planned_percent(start=start, end=project.planned_end, on=today),
        team=[owner],
        on=today,
        respondent=respondent,  # type: ignore[arg-type]
    )
    if respondent is None and content["feedback"] is not None:
        content["feedback"].pop("respondent")
    with transaction.atomic():
        record = save_visit_record(visit=visit, recorded_by=owner, **content)
        submit_visit_record(record=record, submitted_by=owner, completed_on=today)
    return visit.pk


def send_some_mail(count: int) -> int:
    """Send up to ``count`` of the e-mail deliveries waiting in the queue."""
    pending = Delivery.objects.filter(channel=Channel.EMAIL, status=DeliveryStatus.PENDING)
    ids = list(pending.order_by("pk").values_list("pk", flat=True)[:count])
    return sum(send_delivery(delivery_id=pk).status == "sent" for pk in ids)


def read_some_notifications(count: int) -> int:
    unread = Notification.objects.filter(read_at__isnull=True).order_by("-pk")[:count]
    for notification in unread:
        mark_notification_read(notification=notification)
    return len(unread)
