"""/metrics: the follow-up figures operators page on, read from the database at scrape
time, and request counts and latencies labelled by route, never by path."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from celery import Celery
from django.test import Client
from django.utils import timezone

from huifang.core.models import User
from huifang.notify.models import (
    Delivery,
    DeliveryStatus,
    SweepRun,
)
from huifang.notify.sweep import run_sweep
from huifang.projects.models import Project
from huifang.visits.lifecycle import cancel_visit
from huifang.visits.models import Visit
from tests.factories import make_email_deliveries
from tests.faults.helpers import OwnRedis
from tests.monitoring.conftest import parse, scrape

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("metrics_on")]

needs_redis = pytest.mark.skipif(
    not OwnRedis.BINARY.exists() and os.environ.get("HUIFANG_REQUIRE_FAULTS") != "1",
    reason="needs /usr/bin/redis-server",
)


def _local_noon(day: str) -> datetime.datetime:
    return datetime.datetime.combine(
        datetime.date.fromisoformat(day),
        datetime.time(12),
        tzinfo=timezone.get_default_timezone(),
    )


def _value(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_overdue_visits_are_counted_as_of_the_organisations_today(project: Project) -> None:
    # The project's kickoff visit is due 2026-03-09, its first ongoing visit 2026-04-09.
    with time_machine.travel(_local_noon("2026-03-20"), tick=False):
        assert _value(scrape(), "huifang_visits_overdue") == 1
    with time_machine.travel(_local_noon("2026-04-15"), tick=False):
        assert _value(scrape(), "huifang_visits_overdue") == 2
        kickoff = Visit.objects.get(project=project, phase="kickoff")
        cancel_visit(visit=kickoff, reason="customer asked")
        assert _value(scrape(), "huifang_visits_overdue") == 1


def test_deliveries_pending_sending_and_failed_are_counted(owner: User) -> None:
    assert {
        status: _value(scrape(), "huifang_notification_deliveries", status=status)
        for status in ("pending", "sending", "failed")
    } == {"pending": 0, "sending": 0, "failed": 0}

    make_email_deliveries(owner, ["pending"] * 3 + ["sending"] + ["failed"] * 2 + ["sent"] * 4)

    samples = scrape()
    assert {
        status: _value(samples, "huifang_notification_deliveries", status=status)
        for status in ("pending", "sending", "failed", "sent")
    } == {"pending": 3, "sending": 1, "failed": 2, "sent": None}
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 4


def test_last_sweep_time_and_duration_come_from_the_sweeps_record(project: Project) -> None:
    never = scrape()
    assert _value(never, "huifang_sweep_last_finished_timestamp_seconds") == 0

    before = timezone.now()
    run_sweep(today=datetime.date(2026, 3, 20))
    after = timezone.now()

    run = SweepRun.objects.get()
    assert run.swept_for == datetime.date(2026, 3, 20)
    assert before <= run.started_at <= run.finished_at <= after
    samples = scrape()
    finished = _value(samples, "huifang_sweep_last_finished_timestamp_seconds") or 0.0
    assert finished == pytest.approx(run.finished_at.timestamp())
    assert before.timestamp() <= finished <= after.timestamp()
    duration = _value(samples, "huifang_sweep_last_duration_seconds") or 0.0
    assert duration == pytest.approx(run.duration_seconds)
    assert 0 < duration <= (after - before).total_seconds()


def test_no_queue_figures_without_a_broker() -> None:
    names = {name for name, _labels in scrape()}
    assert "huifang_task_queue_length" not in names
    assert "huifang_broker_up" not in names


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CELERY_BROKER_URL = server.url
    try:
        yield server
    finally:
        server.kill()


@needs_redis
def test_task_queue_length_is_the_celery_queue_in_redis(own_redis: OwnRedis) -> None:
    assert _value(scrape(), "huifang_task_queue_length", queue="celery") == 0

    # Four tasks published by Celery, with no worker to take them.
    # Not the current app: shared tasks of later tests would follow it to this broker.
    publisher = Celery("publisher", broker=own_redis.url, set_as_current=False)
    for _ in range(4):
        publisher.send_task("huifang.notify.tasks.requeue_deliveries_task")
    publisher.close()

    samples = scrape()
    assert _value(samples, "huifang_task_queue_length", queue="celery") == 4
    assert _value(samples, "huifang_broker_up") == 1

    own_redis.kill()

    samples = scrape()  # the scrape still answers, and says the broker is gone
    assert _value(samples, "huifang_broker_up") == 0
    assert _value(samples, "huifang_task_queue_length", queue="celery") is None


def test_requests_are_counted_and_timed_by_route_name_not_path(project: Project) -> None:
    client = Client()
    client.force_login(project.manager)
    detail = {"method": "GET", "route": "projects:detail", "status": "2xx"}
    missing = {"method": "GET", "route": "unmatched", "status": "4xx"}
    before = scrape()

    for _ in range(3):
        assert client.get(f"/projects/{project.pk}/").status_code == 200
    assert client.get("/no-such-page/").status_code == 404

    after = scrape()
    count = "huifang_http_request_duration_seconds_count"
    total = "huifang_http_request_duration_seconds_sum"
    assert (_value(after, count, **detail) or 0) - (_value(before, count, **detail) or 0) == 3
    assert (_value(after, count, **missing) or 0) - (_value(before, count, **missing) or 0) == 1
    assert (_value(after, total, **detail) or 0) > (_value(before, total, **detail) or 0)
    routes = {dict(labels).get("route", "") for _name, labels in after}
    assert not [route for route in routes if "/" in route]


def test_unknown_methods_share_one_label(client: Client) -> None:
    before = scrape()
    client.generic("PROPFIND", "/login/")
    after = scrape()
    count = "huifang_http_request_duration_seconds_count"
    other = {"method": "other", "route": "login", "status": "4xx"}
    assert (_value(after, count, **other) or 0) - (_value(before, count, **other) or 0) == 1


def test_scrape_parses_as_prometheus_text() -> None:
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests")
    assert parse(response.content.decode())  # the parser raises on a malformed line
