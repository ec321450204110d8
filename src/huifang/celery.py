"""The Celery application. ``huifang worker`` and ``huifang beat`` run it; without
``HUIFANG_REDIS_URL`` tasks run inline (``CELERY_TASK_ALWAYS_EAGER``)."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huifang.settings")

app = Celery("huifang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _periodic(sender: Celery, **kwargs: object) -> None:
    sender.conf.beat_schedule = {
        # Planning runs just before the sweep, so reminders follow today's plan.
        "plan-all-projects": {
            "task": "huifang.visits.tasks.plan_all_projects_task",
            "schedule": crontab(minute=45, hour=(settings.HUIFANG_SWEEP_HOUR - 1) % 24),
        },
        "notify-sweep": {
            "task": "huifang.notify.tasks.run_sweep_task",
            "schedule": crontab(minute=0, hour=settings.HUIFANG_SWEEP_HOUR),
        },
        # Survey reminders follow the sweep: the policy promises one reminder N days
        # after the invitation, so once a day is enough; claims make a rerun harmless.
        "survey-reminders": {
            "task": "huifang.surveys.tasks.send_survey_reminders_task",
            "schedule": crontab(minute=15, hour=settings.HUIFANG_SWEEP_HOUR),
        },
        "notify-requeue": {
            "task": "huifang.notify.tasks.requeue_deliveries_task",
            "schedule": 60.0,
        },
    }
