"""Claims, leases and the command/periodic entry points."""

from __future__ import annotations

import datetime
import threading
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from huifang.core.models import User
from huifang.notify.models import Channel, Delivery, Kind, Notification
from huifang.notify.periodic import _tick
from huifang.notify.services import claim_delivery, notify, send_delivery
from huifang.visits.models import Visit
from tests.notify.conftest import local


def _email_delivery(visit: Visit, user: User) -> Delivery:
    notification = notify(
        recipient=user, kind=Kind.VISIT_DUE_TODAY, subject=visit, occasion="due:2026-03-09"
    )
    assert notification is not None
    return notification.deliveries.get(channel=Channel.EMAIL)


def test_claim_is_taken_once(kickoff: Visit, colleague: User) -> None:
    delivery = _email_delivery(kickoff, colleague)
    assert [claim_delivery(delivery_id=delivery.pk, worker=w) for w in ("a", "b")] == [True, False]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.claimed_by, delivery.attempts) == ("sending", "a", 1)


def test_expired_claim_is_taken_over(kickoff: Visit, colleague: User, settings: Any) -> None:
    delivery = _email_delivery(kickoff, colleague)
    claim_delivery(delivery_id=delivery.pk, worker="dead")
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now()
        - datetime.timedelta(seconds=settings.HUIFANG_NOTIFY_LEASE_SECONDS + 1)
    )
    assert claim_delivery(delivery_id=delivery.pk, worker="alive") is True


def test_sent_delivery_is_not_sent_again(smtp_server: Any, kickoff: Visit, colleague: User) -> None:
    delivery = _email_delivery(kickoff, colleague)
    outcomes = [send_delivery(delivery_id=delivery.pk).status for _ in range(2)]
    assert (outcomes, len(smtp_server.messages)) == (["sent", "skipped"], 1)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_mail(
    smtp_server: Any, kickoff: Visit, colleague: User
) -> None:
    delivery = _email_delivery(kickoff, colleague)
    # Outside a test transaction the notification was already sent on commit (inline
    # tasks): put the delivery back to pending to race four workers for it.
    Delivery.objects.filter(pk=delivery.pk).update(status="pending", attempts=0)
    smtp_server.messages.clear()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def work() -> None:
        try:
            barrier.wait()
            outcomes.append(send_delivery(delivery_id=delivery.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (sorted(outcomes), len(smtp_server.messages)) == (
        ["sent", "skipped", "skipped", "skipped"],
        1,
    )


def test_inactive_recipient_gets_nothing(kickoff: Visit, colleague: User) -> None:
    colleague.is_active = False
    colleague.save(update_fields=["is_active"])
    assert (
        notify(recipient=colleague, kind=Kind.VISIT_DUE_TODAY, subject=kickoff, occasion="x")
        is None
    )


def test_unknown_kind_uses_callers_words(kickoff: Visit, colleague: User) -> None:
    notification = notify(
        recipient=colleague,
        kind="something_new",
        subject=kickoff,
        occasion="x",
        context={"title": "A title", "body": "A body", "url": "/visits/"},
    )
    assert notification is not None
    assert (notification.title, notification.body, notification.url) == (
        "A title",
        "A body",
        "/visits/",
    )


def test_sweep_command_reports_what_it_sent(kickoff: Visit, quality: User) -> None:
    out = StringIO()
    with time_machine.travel(local("2026-03-16"), tick=False):
        call_command("sweep", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Sweep for 2026-03-16: 5 notification(s) created"
    assert "  visit_escalated_quality: 1" in lines
    assert Notification.objects.count() == 5


def test_sweep_command_with_date(kickoff: Visit) -> None:
    out = StringIO()
    call_command("sweep", "--date", "2026-03-09", stdout=out)
    assert "  visit_due_today: 1" in out.getvalue().splitlines()


def test_periodic_tick_sweeps_once_a_day_after_the_hour(kickoff: Visit, settings: Any) -> None:
    settings.HUIFANG_SWEEP_HOUR = 8
    with time_machine.travel(local("2026-03-09", hour=7), tick=False):
        assert _tick(None) is None
    with time_machine.travel(local("2026-03-09", hour=9), tick=False):
        assert _tick(None) == datetime.date(2026, 3, 9)
    assert Notification.objects.filter(kind=Kind.VISIT_DUE_TODAY).count() == 1


def test_serve_starts_no_periodic_process_when_told_not_to_or_with_a_broker(
    settings: Any,
) -> None:
    from huifang.notify.periodic import start_periodic_process

    settings.REDIS_URL = ""
    settings.HUIFANG_PERIODIC_JOBS = False
    assert start_periodic_process() is None
    settings.HUIFANG_PERIODIC_JOBS = True
    settings.REDIS_URL = "redis://127.0.0.1:6379/9"
    assert start_periodic_process() is None
