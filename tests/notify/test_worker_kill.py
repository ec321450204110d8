"""A real Celery worker against Redis and PostgreSQL, killed with SIGKILL in the middle
of a batch of e-mail deliveries, then restarted: every notification exists once and
is delivered, and only a delivery the mail server had already accepted when the
worker died may arrive twice (the documented caveat).

Runs only when asked (``HUIFANG_TEST_WORKER_KILL=1`` with ``HUIFANG_REDIS_URL`` and a
PostgreSQL ``HUIFANG_DATABASE_URL``); ``.ci/run`` does that in its own step."""

from __future__ import annotations

import asyncio
import datetime
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction

from huifang.core.models import User
from huifang.notify.models import Channel, Delivery, DeliveryStatus, Notification
from huifang.notify.services import notify, requeue_deliveries
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("HUIFANG_TEST_WORKER_KILL") != "1"
        or not settings.REDIS_URL
        or "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="set HUIFANG_TEST_WORKER_KILL=1 with Redis and PostgreSQL (.ci/run does)",
    ),
    pytest.mark.django_db(transaction=True),
]

BATCH = 30
LEASE_SECONDS = 4


class SlowInbox:
    """Takes a while to say 250, so the kill lands while mails are in flight."""

    def __init__(self) -> None:
        self.deliveries: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = message_from_bytes(envelope.content or b"", policy=email_policy)
        await asyncio.sleep(0.15)
        self.deliveries.append(str(message["X-Huifang-Delivery"]))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox() -> Iterator[tuple[SlowInbox, int]]:
    handler = SlowInbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUIFANG_DATABASE_URL": _database_url(),
        "HUIFANG_REDIS_URL": settings.REDIS_URL,
        "HUIFANG_EMAIL_HOST": "127.0.0.1",
        "HUIFANG_EMAIL_PORT": str(port),
        "HUIFANG_NOTIFY_LEASE_SECONDS": str(LEASE_SECONDS),
        "HUIFANG_CELERY_VISIBILITY_TIMEOUT": "8",
    }
    command = [
        str(Path(sys.executable).with_name("huifang")),
        "worker",
        "--concurrency=2",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    # Its own process group, so SIGKILL reaches the pool children too.
    return subprocess.Popen(  # noqa: S603
        command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    states = list(Delivery.objects.values_list("pk", "status", "attempts", "last_error"))
    raise AssertionError(f"timed out waiting for {what}: {states}")


def test_killed_worker_loses_nothing_and_repeats_only_accepted_mail(
    inbox: tuple[SlowInbox, int], tmp_path: Path, settings: Any
) -> None:
    from huifang.celery import app

    handler, port = inbox
    app.control.purge()
    users: list[User] = [
        UserFactory.create(username=f"kill{index}", language="en") for index in range(BATCH)
    ]
    with transaction.atomic():
        for user in users:
            notify(
                recipient=user,
                kind="worker_kill_test",
                subject=user,
                occasion="batch",
                context={"title": f"Batch mail for {user.username}"},
            )
    log = tmp_path / "worker.log"
    started = time.monotonic()
    worker = _start_worker(port, log)
    try:
        # Kill while a mail is on its way to the server (claimed, not yet recorded).
        _wait(
            lambda: (
                len(handler.deliveries) >= BATCH // 3
                and Delivery.objects.filter(status=DeliveryStatus.SENDING).exists()
            ),
            90,
            "the first mails",
        )
        print(f"killed {time.monotonic() - started:.1f} s after the start")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        in_flight = set(
            Delivery.objects.filter(status=DeliveryStatus.SENDING).values_list("pk", flat=True)
        )
        received_at_kill = len(handler.deliveries)
        assert received_at_kill < BATCH, "the kill came too late to test anything"

        restarted = time.monotonic()
        worker = _start_worker(port, log)
        settings.HUIFANG_NOTIFY_LEASE_SECONDS = LEASE_SECONDS

        last_requeue = [0.0]

        def all_sent() -> bool:
            # What beat does every minute (here every 2 s): queue again what nobody is
            # working on: pending deliveries and claims whose lease ran out.
            if time.monotonic() - last_requeue[0] > 2:
                requeue_deliveries(older_than=datetime.timedelta(0))
                last_requeue[0] = time.monotonic()
            return (
                not Delivery.objects.filter(channel=Channel.EMAIL)
                .exclude(status=DeliveryStatus.SENT)
                .exists()
            )

        _wait(all_sent, 60, "every delivery to be sent")
        print(f"all sent {time.monotonic() - restarted:.1f} s after the restart")
        time.sleep(1.0)  # let any late duplicate arrive before counting
    finally:
        worker.terminate()  # warm shutdown of the restarted worker
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)

    emails = Delivery.objects.filter(channel=Channel.EMAIL)
    assert Notification.objects.filter(kind="worker_kill_test").count() == BATCH
    assert emails.count() == BATCH
    receipts = Counter(handler.deliveries)
    expected = {str(pk) for pk in emails.values_list("pk", flat=True)}
    assert set(receipts) == expected
    repeated = {int(pk) for pk, count in receipts.items() if count > 1}
    print(
        f"received at kill: {received_at_kill}, in flight: {sorted(in_flight)}, "
        f"repeated: {sorted(repeated)}"
    )
    assert repeated <= in_flight, (repeated, in_flight)
    assert max(receipts.values()) <= 2
