"""Periodic jobs without a broker: ``huifang serve`` runs this loop in a background
thread of the gunicorn master when ``HUIFANG_REDIS_URL`` is not set. It calls the
same task functions beat schedules: the daily sweep and the delivery requeue."""

from __future__ import annotations

import datetime
import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60


def _tick(last_sweep: datetime.date | None) -> datetime.date | None:
    from huifang.notify.tasks import requeue_deliveries_task, run_sweep_task

    now = timezone.localtime()
    if now.hour >= settings.HUIFANG_SWEEP_HOUR and last_sweep != now.date():
        run_sweep_task()
        last_sweep = now.date()
    requeue_deliveries_task()
    return last_sweep


def _loop(stop: threading.Event) -> None:
    last_sweep: datetime.date | None = None
    while not stop.is_set():
        try:
            last_sweep = _tick(last_sweep)
        except Exception:  # keep the loop alive; the next tick tries again
            log.exception("periodic notification jobs failed")
        finally:
            close_old_connections()
        stop.wait(INTERVAL_SECONDS)


def start_periodic_thread() -> threading.Event | None:
    """Start the loop unless a broker is configured (then beat does this job)."""
    if settings.REDIS_URL:
        return None
    stop = threading.Event()
    threading.Thread(target=_loop, args=(stop,), daemon=True, name="huifang-periodic").start()
    log.info("no broker configured: periodic jobs run in this process")
    return stop
