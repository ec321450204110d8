"""Redis (cache and Celery broker) killed under a running app: pages and logins keep
working, nothing answers 500, and a notification created meanwhile is not lost: its
delivery waits in the database and goes out by the periodic requeue once Redis is
back; one created after Redis returned goes out at once.

Everything runs for real: ``huifang serve`` (gunicorn) and ``huifang worker`` (Celery)
pointed at a ``redis-server`` of the test's own, an SMTP server (aiosmtpd), and the
test database."""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from huifang.celery import app as celery_app
from huifang.core.models import User
from huifang.notify.models import Channel, Delivery, DeliveryStatus
from huifang.notify.services import requeue_deliveries
from huifang.projects.models import Project
from huifang.surveys.services import invite_contacts
from tests.factories import ContactFactory, UserFactory
from tests.faults.helpers import BIN, OwnRedis, app_env, free_port, start, stop, wait_for
from tests.faults.served import HttpClient, give_password, served

pytestmark = [
    # CI (HUIFANG_REQUIRE_FAULTS=1) runs it whatever: a missing server fails there.
    pytest.mark.skipif(
        not OwnRedis.BINARY.exists() and os.environ.get("HUIFANG_REQUIRE_FAULTS") != "1",
        reason="needs /usr/bin/redis-server",
    ),
    pytest.mark.django_db(transaction=True),
]

PAGES = ["/", "/projects/", "/visits/", "/actions/", "/notifications/", "/insights/"]
# A page must not wait long for a Redis that is gone.
SLOWEST_PAGE_SECONDS = 3.0
DETRACTOR = {
    "q_overall": "1",
    "q_quality": "2",
    "q_schedule": "1",
    "q_communication": "2",
    "q_service": "2",
    "q_recommend": "2",
    "q_evaluation": "Late again",
    "q_suggestions": "Call us back",
}


class Inbox:
    def __init__(self) -> None:
        self.deliveries: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = message_from_bytes(envelope.content or b"", policy=email_policy)
        self.deliveries.append(str(message["X-Huifang-Delivery"]))
        await asyncio.sleep(0)
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


def _survey_path(project: Project, owner: User, name: str) -> str:
    contact = ContactFactory.create(
        customer=project.customer, name=name, email=f"{name.lower()}@example.com", language="en"
    )
    (link,) = invite_contacts(
        visit=project.visits.get(phase="closing"),
        contacts=[contact],
        invited_by=owner,
        base_url="http://testserver",
    )
    return re.sub(r"^https?://[^/]+", "", link.url)


def _answer_survey(client: HttpClient, path: str) -> float:
    """A detractor's answer, which notifies the project manager; the seconds it took."""
    assert client.get(path + "?lang=en").status == 200
    started = time.monotonic()
    answer = client.post(path + "?lang=en", DETRACTOR)
    seconds = time.monotonic() - started
    assert answer.status == 200, answer.body[:500]
    assert "Thank you" in answer.body
    return seconds


def _email_of_survey_by(name: str) -> Delivery:
    from huifang.surveys.models import SurveyResponse

    response = SurveyResponse.objects.get(invitation__contact__name=name)
    return Delivery.objects.get(
        channel=Channel.EMAIL,
        notification__kind="survey_detractor",
        notification__occasion=str(response.feedback_id),
    )


def _timed_get(client: HttpClient, path: str) -> tuple[int, float]:
    started = time.monotonic()
    status = client.get(path).status
    return status, time.monotonic() - started


def _requeue_through(redis_url: str) -> int:
    """What beat's every-minute ``requeue_deliveries_task`` does, sent to our Redis
    (without the minute's grace, so the test need not wait for it)."""
    saved = {name: celery_app.conf[name] for name in ("broker_url", "task_always_eager")}
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = redis_url
    celery_app.conf.task_always_eager = False
    try:
        return requeue_deliveries(older_than=datetime.timedelta(0))
    finally:
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        for name, value in saved.items():
            celery_app.conf[name] = value


def test_redis_killed_pages_logins_and_notifications_survive(
    project: Project,
    owner: User,
    own_redis: OwnRedis,
    inbox: tuple[Inbox, int],
    tmp_path: Path,
) -> None:
    handler, smtp_port = inbox
    give_password(owner)
    quality = UserFactory.create(username="fault_quality", role="quality")
    give_password(quality)
    during = _survey_path(project, owner, "During")
    after = _survey_path(project, owner, "After")
    redis_env = {
        "HUIFANG_REDIS_URL": own_redis.url,
        "HUIFANG_EMAIL_HOST": "127.0.0.1",
        "HUIFANG_EMAIL_PORT": str(smtp_port),
    }
    worker = start(
        [
            str(BIN / "huifang"),
            "worker",
            "--concurrency=1",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        app_env(HUIFANG_DATA_DIR=str(tmp_path), **redis_env),
        tmp_path / "worker.log",
    )
    try:
        with served(tmp_path, settings.SECRET_KEY, **redis_env) as app:
            client = app.client()
            assert client.log_in("owner").status == 302
            assert [client.get(page).status for page in PAGES] == [200] * len(PAGES)
            assert own_redis.keys() > 0  # the pages did cache in our Redis

            own_redis.kill()

            timings = {page: _timed_get(client, page) for page in PAGES}
            assert {page: status for page, (status, _) in timings.items()} == dict.fromkeys(
                PAGES, 200
            )
            slowest = max(seconds for _, seconds in timings.values())
            print(f"slowest page with Redis gone: {slowest:.3f} s")
            assert slowest < SLOWEST_PAGE_SECONDS, timings
            # Someone logs in while Redis is gone, and works.
            newcomer = app.client()
            assert newcomer.log_in("fault_quality").status == 302
            # (A quality manager lands on the management home: figures computed afresh.)
            assert newcomer.get("/insights/management/").status == 200
            # A customer answers a survey: the manager's notice is created, its
            # e-mail waits in the database for the broker.
            answering = _answer_survey(app.client(), during)
            print(f"survey answer with Redis gone: {answering:.3f} s")
            assert answering < SLOWEST_PAGE_SECONDS
            waiting = _email_of_survey_by("During")
            assert waiting.status == DeliveryStatus.PENDING

            own_redis.start()  # back, empty: whatever it held is gone

            # A notice created now goes out at once (the web process reconnects) ...
            _answer_survey(app.client(), after)
            sent_now = _email_of_survey_by("After")
            wait_for(lambda: str(sent_now.pk) in handler.deliveries, 60, "the new notice's e-mail")
            # ... and the one from the outage goes out by the periodic requeue.
            assert _requeue_through(own_redis.url) >= 1
            wait_for(
                lambda: str(waiting.pk) in handler.deliveries, 60, "the waiting notice's e-mail"
            )
            assert [client.get(page).status for page in PAGES] == [200] * len(PAGES)
            log = app.log_text()
    finally:
        stop(worker)

    assert "Internal Server Error" not in log, log[-3000:]
    assert sorted(handler.deliveries) == sorted([str(waiting.pk), str(sent_now.pk)])
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.SENT
