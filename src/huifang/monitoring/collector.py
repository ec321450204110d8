"""The follow-up figures operators page on, read from the database at scrape time.

Each figure is one cheap query on an index (open visits by status and due date,
deliveries by status, the latest sweep run), so a scrape every 15 s from several
Prometheus servers costs the database nothing it notices. Being read from the
database, they are the same whichever process or host answers the scrape."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from huifang.core.health import redis_client
from huifang.notify.models import Delivery, DeliveryStatus, SweepRun
from huifang.visits.models import Visit

log = logging.getLogger(__name__)

# Deliveries still to send, being sent, and given up on. Sent ones are not counted:
# that table only grows, and the count says nothing an operator acts on.
WATCHED_DELIVERY_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED)


def _overdue_visits() -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "huifang_visits_overdue",
        "Visits still planned or scheduled after their due date (the organisation's today).",
        value=Visit.objects.overdue(timezone.localdate()).count(),
    )


def _deliveries() -> Iterator[Metric]:
    counts = dict.fromkeys(WATCHED_DELIVERY_STATUSES, 0)
    rows = (
        Delivery.objects.filter(status__in=WATCHED_DELIVERY_STATUSES)
        .values_list("status")
        .order_by()
        .annotate(n=Count("pk"))
    )
    counts.update(dict(rows))
    family = GaugeMetricFamily(
        "huifang_notification_deliveries",
        "Notification deliveries (e-mail, webhook, in-app) by status: pending ones wait "
        "for a worker or a retry, failed ones gave up after every attempt.",
        labels=["status"],
    )
    for status, count in counts.items():
        family.add_metric([str(status)], count)
    yield family


def _last_sweep() -> Iterator[Metric]:
    last = SweepRun.objects.order_by("-finished_at").values_list("finished_at", "duration_seconds")[
        :1
    ]
    finished, duration = last[0] if last else (None, 0.0)
    yield GaugeMetricFamily(
        "huifang_sweep_last_finished_timestamp_seconds",
        "When the last sweep (reminders, escalations, missed visits) finished, as a Unix "
        "time; 0 if none ever did.",
        value=finished.timestamp() if finished else 0.0,
    )
    yield GaugeMetricFamily(
        "huifang_sweep_last_duration_seconds",
        "How long the last finished sweep took.",
        value=duration,
    )


def _task_queue() -> Iterator[Metric]:
    """The length of Celery's queue in Redis, where a broker is configured (without
    one, tasks run inline and nothing queues)."""
    if not settings.REDIS_URL:
        return
    queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    try:
        length = int(redis_client(settings.CELERY_BROKER_URL).llen(queue))
    except Exception as error:  # a broker that is down is reported, not a failed scrape
        log.warning("task queue length unavailable: %s", type(error).__name__)
        up, length = 0, None
    else:
        up = 1
    yield GaugeMetricFamily(
        "huifang_broker_up", "1 when the task broker (Redis) answered this scrape.", value=up
    )
    if length is not None:
        family = GaugeMetricFamily(
            "huifang_task_queue_length",
            "Tasks waiting in the broker for a worker.",
            labels=["queue"],
        )
        family.add_metric([queue], length)
        yield family


class FollowUpCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from _overdue_visits()
        yield from _deliveries()
        yield from _last_sweep()
        yield from _task_queue()
