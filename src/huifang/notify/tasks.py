"""Celery tasks: thin (load by id, call a service). With no broker configured they
run inline; the periodic ones also run from ``huifang serve``'s background process."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from huifang.notify import services
from huifang.notify.sweep import run_sweep


@shared_task(bind=True, max_retries=8, acks_late=True, reject_on_worker_lost=True)
def send_delivery(self: Any, delivery_id: int) -> str:
    outcome = services.send_delivery(delivery_id=delivery_id, worker=self.request.hostname)
    if outcome.status == "retry" and not self.request.is_eager:
        # Bounded by HUIFANG_NOTIFY_MAX_ATTEMPTS in the service; inline (no broker) the
        # periodic requeue tries again instead of blocking the request.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_sweep_task() -> dict[str, int]:
    return run_sweep().counts


@shared_task(acks_late=True, reject_on_worker_lost=True)
def requeue_deliveries_task() -> int:
    return services.requeue_deliveries()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def enqueue_deliveries_task(delivery_ids: list[int]) -> int:
    """Fan a batch out to one ``send_delivery`` message per delivery, so the workers
    send them in parallel while the process that created them (the sweep) published
    one message. Run twice (a worker died), it queues each again: the claim makes the
    second send a no-op."""
    services.enqueue_each(delivery_ids)
    return len(delivery_ids)
