"""The benchmark's working-day tick: it records a real visit through the services, sends
mail and reads notifications, and only an administrator on a bench server may run it."""

from __future__ import annotations

import importlib
import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.test import RequestFactory
from django.urls import clear_url_caches
from django.utils import timezone

from huifang.core.models import User
from huifang.demo.bench_seed import Progress, seed_bench_data
from huifang.demo.views_bench import visit_recorded, working_day
from huifang.demo.working_day import working_day_tick
from huifang.notify.models import Delivery, DeliveryStatus, Notification
from huifang.visits.models import Visit
from tests.factories import make_email_deliveries

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db: None) -> None:
    seed_bench_data("small", today=timezone.localdate(), progress=Progress(io.StringIO()))


def _open_visits() -> list[Visit]:
    return list(
        Visit.objects.filter(
            status__in=("planned", "scheduled"),
            record__isnull=True,
            project__status="active",
            due_date__lte=timezone.localdate(),
        ).order_by("-due_date", "-pk")
    )


def test_a_tick_records_and_submits_the_visit_due_most_recently(seeded: None) -> None:
    first, second = _open_visits()[:2]

    tick = working_day_tick(keep=[first.pk], seed=1)

    assert tick.recorded_visit == second.pk
    second.refresh_from_db()
    assert second.status == "done"
    assert second.completed_on == timezone.localdate()
    assert second.record.status == "submitted"
    assert second.record.recorded_by_id == (second.owner_id or second.project.manager_id)
    first.refresh_from_db()
    assert first.status in ("planned", "scheduled")


def test_a_tick_sends_waiting_mail_and_reads_notifications(seeded: None) -> None:
    user = User.objects.get(username="bench-pm-1")
    make_email_deliveries(user, [DeliveryStatus.PENDING] * 7)
    mail.outbox.clear()

    tick = working_day_tick(seed=2)

    assert tick.deliveries_sent == 5
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2
    assert len(mail.outbox) == 5
    assert tick.notifications_read == 3
    assert Notification.objects.filter(read_at__isnull=False).count() == 3


def test_a_tick_records_a_visit_due_next_when_none_is_due_yet(seeded: None) -> None:
    today = timezone.localdate()
    for visit in _open_visits():
        working_day_tick(seed=visit.pk)
    upcoming = Visit.objects.filter(
        status__in=("planned", "scheduled"), record__isnull=True, project__status="active"
    ).order_by("due_date", "pk")
    next_one = upcoming.first()
    assert next_one is not None
    assert next_one.due_date > today

    tick = working_day_tick(seed=4)

    assert tick.recorded_visit == next_one.pk
    next_one.refresh_from_db()
    assert (next_one.status, next_one.completed_on) == ("done", today)


def test_sent_mail_is_not_sent_again(seeded: None) -> None:
    make_email_deliveries(User.objects.get(username="bench-pm-1"), [DeliveryStatus.SENT] * 2)

    assert working_day_tick(seed=3).deliveries_sent == 0


def test_the_tick_view_is_for_administrators_only(seeded: None, rf: RequestFactory) -> None:
    anonymous = rf.post("/bench/working-day")
    anonymous.user = AnonymousUser()
    assert working_day(anonymous).status_code == 302  # to the login page
    request = rf.post("/bench/working-day")
    request.user = User.objects.get(username="bench-pm-1")
    with pytest.raises(PermissionDenied):
        working_day(request)
    assert working_day(_as_admin(rf.get("/bench/working-day"))).status_code == 405

    response = working_day(_as_admin(rf.post("/bench/working-day?keep=1,2")))

    assert response.status_code == 200
    assert set(json.loads(response.content)) == {
        "recorded_visit",
        "deliveries_sent",
        "notifications_read",
    }


def test_the_change_view_records_one_visit_and_keeps_the_measured_ones_open(
    seeded: None, rf: RequestFactory
) -> None:
    """The benchmark's "after a change": a visit recorded and submitted, as a working
    day writes one; administrators only."""
    request = rf.post("/bench/visit-recorded")
    request.user = User.objects.get(username="bench-pm-1")
    with pytest.raises(PermissionDenied):
        visit_recorded(request)
    assert visit_recorded(_as_admin(rf.get("/bench/visit-recorded"))).status_code == 405
    kept, expected = _open_visits()[:2]

    response = visit_recorded(_as_admin(rf.post(f"/bench/visit-recorded?keep={kept.pk}")))

    assert json.loads(response.content) == {"recorded_visit": expected.pk}
    expected.refresh_from_db()
    assert expected.status == "done"
    assert expected.record.status == "submitted"
    kept.refresh_from_db()
    assert kept.status in ("planned", "scheduled")


def _as_admin(request: HttpRequest) -> HttpRequest:
    request.user = User.objects.get(username="bench-admin-1")
    return request


def test_only_a_bench_server_serves_the_tick(settings: Any) -> None:
    # It writes data as other people: never on a demo or development server.
    try:
        for bench, debug in ((False, True), (True, False)):
            settings.HUIFANG_BENCH, settings.DEBUG = bench, debug
            urls = importlib.reload(importlib.import_module("huifang.urls"))
            names = {getattr(pattern, "name", None) for pattern in urls.urlpatterns}
            assert ("bench_working_day" in names) is bench
            assert ("bench_visit_recorded" in names) is bench
    finally:
        settings.HUIFANG_BENCH, settings.DEBUG = False, False
        importlib.reload(importlib.import_module("huifang.urls"))
        clear_url_caches()
