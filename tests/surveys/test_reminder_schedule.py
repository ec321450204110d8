"""Survey reminders go out on their own: beat schedules them with a broker, and the
periodic process of ``huifang serve`` runs them without one. Time travels through the
days after an invitation and only the scheduler is called."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from huifang.celery import app
from huifang.customers.models import Contact
from huifang.notify.periodic import _tick
from huifang.surveys.services import submit_survey_response
from tests.surveys.conftest import SERVICE_ANSWERS, Invite, make_contact

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def test_beat_schedules_survey_reminders_daily_after_the_sweep(settings: Any) -> None:
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    entry = schedule["survey-reminders"]
    assert entry["task"] == "huifang.surveys.tasks.send_survey_reminders_task"
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {settings.HUIFANG_SWEEP_HOUR}
    assert entry["schedule"].minute == {15}
    # Every scheduled name is a registered task (a typo would schedule nothing).
    assert all(job["task"] in app.tasks for job in schedule.values())


def test_periodic_runner_reminds_once_not_answered_nor_expired(
    invite: Invite,
    contact: Contact,
    contact_en: Contact,
    mailoutbox: list[Any],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.HUIFANG_SWEEP_HOUR = 8
    settings.REDIS_URL = ""
    start = datetime.date(2026, 12, 2)
    with time_machine.travel(_at(start, 10), tick=False):
        waiting, _ = invite(contact)
        answered, _ = invite(contact_en)
        late = make_contact(customer=contact.customer, name="Wang Wu", email="wang@example.com")
        expiring, _ = invite(late)
    submit_survey_response(invitation=answered, answers=SERVICE_ANSWERS, language="en")
    # The third invitation expires before its reminder would be due.
    expiring.expires_at = _at(start + datetime.timedelta(days=3), 10)
    expiring.save(update_fields=["expires_at"])
    mailoutbox.clear()

    last: datetime.date | None = None
    for offset in range(0, 9):
        day = start + datetime.timedelta(days=offset)
        for hour in (7, 9, 15):
            with (
                time_machine.travel(_at(day, hour), tick=False),
                django_capture_on_commit_callbacks(execute=True),
            ):
                last = _tick(last)
        reminded = [m.to for m in mailoutbox if "提醒" in m.subject or "Reminder" in m.subject]
        assert reminded == ([] if offset < 5 else [["lilei@example.com"]]), offset

    waiting.refresh_from_db()
    expiring.refresh_from_db()
    answered.refresh_from_db()
    assert waiting.reminded_at == _at(start + datetime.timedelta(days=5), 9)
    assert expiring.reminded_at is None
    assert answered.reminded_at is None
