"""The sweep's bulk path, ``notify_many``: the same rules as ``notify`` (once per key,
even against a parallel caller; inactive people and unwanted digests skipped; the
channels each person uses), in a handful of queries per batch."""

from __future__ import annotations

import datetime
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huifang.celery import app as celery_app
from huifang.core.models import User
from huifang.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EndpointKind,
    Kind,
    Notification,
    WebhookEndpoint,
)
from huifang.notify.services import (
    NotifyRequest,
    notify,
    notify_many,
    requeue_deliveries,
    save_notification_preference,
)
from huifang.notify.tasks import enqueue_deliveries_task
from huifang.projects.models import Project
from huifang.visits.models import Visit
from tests.factories import UserFactory
from tests.notify.conftest import local


def _due(visit: Visit, user: User, occasion: str = "due:2026-03-09") -> NotifyRequest:
    return NotifyRequest(user, Kind.VISIT_DUE_TODAY, visit, occasion, None, visit.project)


def _channels(notification: Notification) -> list[tuple[str, str, str]]:
    return sorted(
        (d.channel, d.status, d.target.name if d.target else "")
        for d in notification.deliveries.select_related("target")
    )


def test_second_run_creates_nothing(kickoff: Visit, owner: User, colleague: User) -> None:
    requests = [_due(kickoff, owner), _due(kickoff, colleague), _due(kickoff, owner, "other")]

    first = notify_many(requests)
    deliveries = Delivery.objects.count()
    second = notify_many(requests)

    assert len(first) == 3
    assert (second, Notification.objects.count(), Delivery.objects.count()) == ([], 3, deliveries)


def test_same_request_twice_in_one_batch_is_created_once(kickoff: Visit, owner: User) -> None:
    created = notify_many([_due(kickoff, owner), _due(kickoff, owner)])

    assert len(created) == 1
    assert Notification.objects.count() == 1


def test_key_that_exists_already_is_skipped_and_the_rest_created(
    kickoff: Visit, owner: User, colleague: User
) -> None:
    earlier = notify(
        recipient=colleague, kind=Kind.VISIT_DUE_TODAY, subject=kickoff, occasion="due:2026-03-09"
    )
    assert earlier is not None

    created = notify_many([_due(kickoff, owner), _due(kickoff, colleague)])

    assert [n.recipient.username for n in created] == ["owner"]
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "colleague",
        "owner",
    ]
    assert list(earlier.deliveries.values_list("pk", flat=True)) == list(
        Delivery.objects.filter(notification=earlier).values_list("pk", flat=True)
    )


def test_inactive_recipients_are_skipped_even_when_loaded_before(
    kickoff: Visit, owner: User, colleague: User
) -> None:
    # ``colleague`` was loaded while still active (as a sweep loads visit owners) and
    # deactivated since: the database's flag decides.
    User.objects.filter(pk=colleague.pk).update(is_active=False)
    retired = UserFactory.create(username="retired", is_active=False)

    created = notify_many([_due(kickoff, owner), _due(kickoff, colleague), _due(kickoff, retired)])

    assert [n.recipient.username for n in created] == ["owner"]
    assert Notification.objects.count() == 1


def test_weekly_digest_respects_the_preference(owner: User, colleague: User) -> None:
    save_notification_preference(user=colleague, email=True, webhook=True, weekly_digest=False)
    digest = {"week": "2026-W10"}

    created = notify_many(
        [
            NotifyRequest(owner, Kind.WEEKLY_DIGEST, owner, "digest:2026-W10", digest),
            NotifyRequest(colleague, Kind.WEEKLY_DIGEST, colleague, "digest:2026-W10", digest),
            NotifyRequest(colleague, "custom", colleague, "x", {"title": "Not a digest"}),
        ]
    )

    assert sorted((n.recipient.username, n.kind) for n in created) == [
        ("colleague", "custom"),
        ("owner", Kind.WEEKLY_DIGEST),
    ]


def test_channels_follow_each_persons_choices(
    kickoff: Visit, project: Project, owner: User, colleague: User
) -> None:
    everywhere = WebhookEndpoint.objects.create(
        name="all", kind=EndpointKind.GENERIC, url="http://127.0.0.1:9/all"
    )
    WebhookEndpoint.objects.create(
        name="ours", kind=EndpointKind.WECOM, url="http://127.0.0.1:9/ours", project=project
    )
    WebhookEndpoint.objects.create(
        name="off", kind=EndpointKind.WECOM, url="http://127.0.0.1:9/off", is_active=False
    )
    other = Project.objects.create(
        code="P-002",
        name="Other",
        customer=project.customer,
        manager=owner,
        policy=project.policy,
        planned_start=project.planned_start,
        planned_end=project.planned_end,
    )
    WebhookEndpoint.objects.create(
        name="theirs", kind=EndpointKind.WECOM, url="http://127.0.0.1:9/theirs", project=other
    )
    quiet = UserFactory.create(username="quiet")
    save_notification_preference(user=quiet, email=False, webhook=False, weekly_digest=True)
    no_address = UserFactory.create(username="no_address", email="")

    created = notify_many(
        [
            _due(kickoff, owner),
            _due(kickoff, quiet),
            _due(kickoff, no_address),
            NotifyRequest(colleague, "custom", colleague, "x", {"title": "No project"}),
        ]
    )

    channels = {n.recipient.username: _channels(n) for n in created}
    sent, pending = DeliveryStatus.SENT, DeliveryStatus.PENDING
    assert channels == {
        "owner": [
            (Channel.EMAIL, pending, ""),
            (Channel.IN_APP, sent, ""),
            (Channel.WEBHOOK, pending, "all"),
            (Channel.WEBHOOK, pending, "ours"),
        ],
        "quiet": [(Channel.IN_APP, sent, "")],
        "no_address": [
            (Channel.IN_APP, sent, ""),
            (Channel.WEBHOOK, pending, "all"),
            (Channel.WEBHOOK, pending, "ours"),
        ],
        "colleague": [
            (Channel.EMAIL, pending, ""),
            (Channel.IN_APP, sent, ""),
            (Channel.WEBHOOK, pending, everywhere.name),
        ],
    }


def test_same_rows_as_notify(kickoff: Visit, owner: User, colleague: User) -> None:
    colleague.language = "en"
    colleague.save(update_fields=["language"])
    one = notify(
        recipient=colleague,
        kind=Kind.VISIT_OVERDUE,
        subject=kickoff,
        occasion="one",
        context={"owner": "x", "days": 2},
        project=kickoff.project,
    )
    many = notify_many(
        [
            NotifyRequest(
                colleague,
                Kind.VISIT_OVERDUE,
                kickoff,
                "many",
                {"owner": "x", "days": 2},
                kickoff.project,
            ),
            _due(kickoff, owner),
        ]
    )[0]

    assert one is not None
    fields = ("recipient_id", "kind", "subject_type_id", "subject_id", "project_id", "title")
    assert [getattr(many, f) for f in fields] == [getattr(one, f) for f in fields]
    assert (many.title, many.body, many.url) == (one.title, one.body, one.url)
    assert many.title.startswith("Visit overdue")  # the recipient's language
    assert [c for c, _s, _t in _channels(many)] == [c for c, _s, _t in _channels(one)]


def test_a_batch_takes_the_same_few_queries_however_large(
    kickoff: Visit, owner: User, colleague: User
) -> None:
    def queries_for(people: list[User]) -> int:
        with CaptureQueriesContext(connection) as captured:
            notify_many([_due(kickoff, person, occasion="size") for person in people])
        return len(captured)

    notify_many([_due(kickoff, owner)])  # the content type, read once per process
    few = [UserFactory.create(username=f"few{i}") for i in range(2)]
    many = [UserFactory.create(username=f"many{i}") for i in range(20)]
    assert queries_for(few) == queries_for(many)


@pytest.mark.django_db(transaction=True)
def test_parallel_caller_winning_one_key_loses_nothing_else(
    kickoff: Visit, owner: User, colleague: User, quality: User
) -> None:
    """Another process creates one of the batch's notifications after the batch looked
    for existing keys and before it inserts: the insert fails on the unique key, and
    the batch is created one by one, skipping only the one the other process won."""
    requests = [_due(kickoff, owner), _due(kickoff, colleague), _due(kickoff, quality)]
    raced = threading.Event()

    def other_process() -> None:
        try:
            notify(
                recipient=colleague,
                kind=Kind.VISIT_DUE_TODAY,
                subject=kickoff,
                occasion="due:2026-03-09",
            )
        finally:
            connection.close()

    looked = threading.Event()

    def race(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # Right after the batch read the existing keys (the statement after that one):
        # the other process runs to the end in its own thread and connection.
        if looked.is_set() and not raced.is_set():
            raced.set()
            thread = threading.Thread(target=other_process)
            thread.start()
            thread.join()
        if 'SELECT "notify_notification"."idempotency_key"' in sql:
            looked.set()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(race):
        created = notify_many(requests)

    assert raced.is_set()
    assert sorted(n.recipient.username for n in created) == ["owner", "quality"]
    keys = list(Notification.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == 3
    # Every notification has its in-app delivery, none twice.
    assert sorted(
        Delivery.objects.filter(channel=Channel.IN_APP).values_list(
            "notification__recipient__username", flat=True
        )
    ) == ["colleague", "owner", "quality"]


def test_without_a_broker_the_requeue_sends_what_the_batch_created(
    kickoff: Visit,
    owner: User,
    smtp_server: Any,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Inline (no broker), a batch does not send its e-mails itself: thousands of them
    would hold the sweep for minutes. The periodic requeue sends them a minute later."""
    time_machine.move_to(local("2026-03-09", hour=9), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        (notification,) = notify_many([_due(kickoff, owner)])
    email = notification.deliveries.get(channel=Channel.EMAIL)
    assert (email.status, smtp_server.messages) == (DeliveryStatus.PENDING, [])

    time_machine.move_to(local("2026-03-09", hour=9) + datetime.timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_deliveries() == 1

    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT
    assert [m["X-Huifang-Delivery"] for m in smtp_server.messages] == [str(email.pk)]


# --- With a broker ------------------------------------------------------------------

TEST_REDIS_URL = os.environ.get("HUIFANG_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _reset_celery_connections() -> None:
    """Make the app look its pools up again for the current ``broker_url`` (kombu keeps
    one pool per URL for the whole process: none is closed, switching back finds the
    original one as it was)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    """Celery publishing to a real Redis database of its own (emptied before and
    after), not eager: what a deployment with ``HUIFANG_REDIS_URL`` does."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {TEST_REDIS_URL}")
    client.flushdb()
    saved = {name: celery_app.conf[name] for name in ("broker_url", "task_always_eager")}
    _reset_celery_connections()
    celery_app.conf.broker_url = TEST_REDIS_URL
    celery_app.conf.task_always_eager = False
    try:
        yield client
    finally:
        _reset_celery_connections()
        for name, value in saved.items():
            celery_app.conf[name] = value
        client.flushdb()


def _queued(client: redis.Redis) -> list[str]:
    """The task names waiting in the default queue."""
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange("celery", 0, -1)]


def test_with_a_broker_a_batch_is_one_message_fanned_out_by_the_worker(
    broker: redis.Redis, kickoff: Visit, django_capture_on_commit_callbacks: Any
) -> None:
    people = [UserFactory.create(username=f"p{i}") for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        created = notify_many([_due(kickoff, person) for person in people])
    assert len(created) == 5
    assert _queued(broker) == ["huifang.notify.tasks.enqueue_deliveries_task"]

    pending = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True)
    )
    broker.delete("celery")
    enqueue_deliveries_task.apply(args=[pending])  # what the worker does with it

    assert len(pending) == 5  # their e-mails
    assert _queued(broker) == ["huifang.notify.tasks.send_delivery"] * 5
