"""Celery tasks: thin wrappers over the survey services."""

from __future__ import annotations

from celery import shared_task

from huifang.surveys.services import send_survey_reminders


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_survey_reminders_task() -> int:
    # Safe to run twice at once: each invitation is claimed with a conditional UPDATE.
    return send_survey_reminders()
