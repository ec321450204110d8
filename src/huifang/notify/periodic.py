"""Periodic jobs without a broker: when ``HUIFANG_REDIS_URL`` is not set, ``huifang
serve`` runs this loop beside gunicorn. It calls the same task functions beat
schedules: the daily plan, sweep and survey reminders, and the delivery requeue.

The loop runs in a *spawned* child process rather than a thread of the gunicorn
master: gunicorn forks its workers from the master, and a fork taken while a thread
is half-way through importing a module hands the worker a half-initialised module
(seen as "huifang.urls does not appear to have any patterns" on the first request).
A spawned process shares no memory with the master, so nothing can be caught mid-way.
"""

from __future__ import annotations

import datetime
import logging
import multiprocessing
import os
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60


def _tick(last_sweep: datetime.date | None) -> datetime.date | None:
    # The spawned child imports the tasks (and their models) only after django.setup().
    from huifang.notify.tasks import requeue_deliveries_task, run_sweep_task  # after setup()
    from huifang.surveys.tasks import send_survey_reminders_task  # after setup()
    from huifang.visits.tasks import plan_all_projects_task  # after setup()

    now = timezone.localtime()
    if now.hour >= settings.HUIFANG_SWEEP_HOUR and last_sweep != now.date():
        plan_all_projects_task()
        run_sweep_task()
        send_survey_reminders_task()
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


def _watch_parent(stop: threading.Event, parent_pid: int) -> None:
    # A daemon child is ended when the server exits normally; if the server is killed
    # outright, the child notices it was re-parented and stops too.
    while not stop.wait(5):
        if os.getppid() != parent_pid:
            stop.set()


def run_periodic_jobs(parent_pid: int) -> None:
    """Entry point of the spawned process."""
    import django  # the spawned child's first Django import

    django.setup()
    stop = threading.Event()
    threading.Thread(target=_watch_parent, args=(stop, parent_pid), daemon=True).start()
    _loop(stop)


def start_periodic_process() -> multiprocessing.process.BaseProcess | None:
    """Start the loop unless a broker is configured (then beat does this job) or
    ``HUIFANG_PERIODIC_JOBS`` is off."""
    if settings.REDIS_URL or not settings.HUIFANG_PERIODIC_JOBS:
        return None
    process = multiprocessing.get_context("spawn").Process(
        target=run_periodic_jobs, args=(os.getpid(),), daemon=True, name="huifang-periodic"
    )
    process.start()
    log.info("no broker configured: periodic jobs run in process %s", process.pid)
    return process
