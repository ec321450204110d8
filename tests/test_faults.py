"""Faults the product survives, in-process: the PostgreSQL connection killed between
requests, and the Celery broker gone (pages keep working; notifications wait in the
database and go out when the broker is back). The same faults against real served
processes, Redis killed as cache and broker, a connection killed mid-request and a
writer killed right after its commit are in tests/faults/; the worker killed mid-task
is tests/notify/test_worker_kill.py.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory

from huifang.celery import app as celery_app
from huifang.core.models import User
from huifang.notify.models import Channel, Delivery, DeliveryStatus, Notification
from huifang.notify.services import notify, requeue_deliveries
from huifang.projects.models import Project

IS_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


# --- PostgreSQL connection killed ------------------------------------------------------


def _serve(path: str, cookie: str) -> int:
    """One GET through Django's WSGI handler as a real server runs it: unlike the test
    client it sends ``request_started``, where ``CONN_HEALTH_CHECKS`` does its work."""
    handler = WSGIHandler()
    environ = RequestFactory().get(path, HTTP_COOKIE=cookie).environ
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)

    result = handler(environ, start_response)
    try:
        b"".join(result)
    finally:
        result.close()
    return int(statuses[0].split()[0])


@pytest.mark.skipif(not IS_POSTGRES, reason="kills a PostgreSQL backend; SQLite has none")
@pytest.mark.django_db(transaction=True)
def test_request_after_database_connection_killed_succeeds(owner: User) -> None:
    import psycopg

    client = Client()
    client.force_login(owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    assert _serve("/projects/", cookie) == 200
    raw = connection.connection
    assert raw is not None
    backend_pid = raw.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as killer:
        killed = killer.execute("SELECT pg_terminate_backend(%s)", [backend_pid]).fetchone()
    assert killed == (True,)

    status = _serve("/projects/", cookie)

    assert status == 200
    assert connection.connection is not None
    assert connection.connection.info.backend_pid != backend_pid


# --- Redis stopped ----------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _reset_celery_connections() -> None:
    """Make the app look its pools up again for the current ``broker_url``. kombu keeps
    one pool per URL for the whole process, so none is closed here: switching back
    finds the original pool as it was."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def _broker_down() -> Iterator[None]:
    """Celery pointed at a Redis that is not there (a closed port), not eager; the
    machine's real Redis is left alone."""
    saved = {
        name: celery_app.conf[name]
        for name in (
            "broker_url",
            "task_always_eager",
            "broker_connection_retry",
            "broker_connection_max_retries",
            "task_publish_retry_policy",
        )
    }
    _reset_celery_connections()
    celery_app.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    celery_app.conf.task_always_eager = False
    # Give up quickly: the page must not wait for a broker that is gone.
    celery_app.conf.task_publish_retry_policy = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.1,
        "interval_max": 0.1,
    }
    try:
        yield
    finally:
        _reset_celery_connections()
        for name, value in saved.items():
            celery_app.conf[name] = value


@pytest.fixture
def broker_down() -> Iterator[None]:
    with _broker_down():
        yield


def _notify_owner(project: Project, owner: User, occasion: str) -> Notification | None:
    return notify(
        recipient=owner,
        kind="custom",
        subject=project,
        occasion=occasion,
        context={"title": "Broker test", "body": "Body"},
        project=project,
    )


@pytest.mark.django_db(transaction=True)
def test_pages_work_while_broker_is_down(broker_down: None, project: Project, owner: User) -> None:
    client = Client()
    client.force_login(owner)

    statuses = [client.get(url).status_code for url in ("/", "/projects/", "/notifications/")]

    assert statuses == [200, 200, 200]


@pytest.mark.django_db(transaction=True)
def test_notify_while_broker_is_down_keeps_delivery_pending(
    broker_down: None, project: Project, owner: User, caplog: Any
) -> None:
    notification = _notify_owner(project, owner, "broker-down")

    assert notification is not None
    deliveries = Delivery.objects.filter(notification=notification).order_by("channel")
    assert list(deliveries.values_list("channel", "status")) == [
        (Channel.EMAIL, DeliveryStatus.PENDING),
        (Channel.IN_APP, DeliveryStatus.SENT),
    ]
    assert "could not enqueue delivery" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_pending_deliveries_go_out_when_broker_returns(
    project: Project, owner: User, smtp_server: Any, time_machine: Any
) -> None:
    with _broker_down():
        notification = _notify_owner(project, owner, "broker-returns")
    assert notification is not None
    assert smtp_server.messages == []
    # The broker is back (tasks inline); a minute later the periodic requeue finds it.
    time_machine.move_to(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=2))
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        queued = requeue_deliveries()
    finally:
        celery_app.conf.task_always_eager = eager

    email = Delivery.objects.get(notification=notification, channel=Channel.EMAIL)
    assert (queued, email.status, email.last_error) == (1, DeliveryStatus.SENT, "")
    assert [message["X-Huifang-Delivery"] for message in smtp_server.messages] == [str(email.pk)]
