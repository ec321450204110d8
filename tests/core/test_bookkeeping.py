"""Bookkeeping is not data: a login, a token's use, a notification read and an e-mail
delivered leave the data version (and so every cached page) where they are, while any
write of data still moves it; the pages that show bookkeeping read it fresh."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huifang.api.models import ApiToken
from huifang.api.tokens import create_api_token
from huifang.core import dataversion
from huifang.core.models import User
from huifang.notify.models import Channel, Delivery, DeliveryStatus, Kind, Notification
from huifang.notify.services import (
    mark_all_notifications_read,
    mark_notification_read,
    notify,
    retry_delivery,
    send_delivery,
)
from huifang.projects.models import Project
from huifang.visits.models import Visit
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's
UNREAD = re.compile(r'data-testid="unread-count">(\d+)<')


def _notifications(project: Project, user: User, count: int) -> list[Notification]:
    """``count`` notifications for ``user`` about the project's visits, unread."""
    made = []
    for visit in Visit.objects.filter(project=project).order_by("due_date")[:count]:
        notification = notify(
            recipient=user, kind=Kind.VISIT_DUE_TODAY, subject=visit, occasion=f"due:{visit.pk}"
        )
        assert notification is not None
        made.append(notification)
    return made


def _bell(page: str) -> int:
    found = UNREAD.search(page)
    return int(found.group(1)) if found else 0


def test_marking_a_notification_read_leaves_the_version(project, owner) -> None:
    first, _second = _notifications(project, owner, 2)
    before = dataversion.current()
    mark_notification_read(notification=first)
    assert mark_all_notifications_read(user=owner) == 1
    assert dataversion.current() == before
    assert Notification.objects.filter(recipient=owner, read_at__isnull=True).count() == 0


def test_a_delivery_sent_or_failed_leaves_the_version(
    smtp_server: Any, settings: Any, project, owner
) -> None:
    (notification,) = _notifications(project, owner, 1)
    delivery = notification.deliveries.get(channel=Channel.EMAIL)
    # Sent on commit already (no broker: tasks run inline): send it once more.
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0)
    smtp_server.messages.clear()
    before = dataversion.current()
    assert send_delivery(delivery_id=delivery.pk).status == "sent"
    assert len(smtp_server.messages) == 1
    # An SMTP server that is gone: the delivery fails, then an admin retries it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    settings.HUIFANG_NOTIFY_MAX_ATTEMPTS = 1
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0)
    assert send_delivery(delivery_id=delivery.pk).status == "failed"
    retry_delivery(delivery=Delivery.objects.get(pk=delivery.pk))
    assert dataversion.current() == before


def test_a_login_and_a_failed_one_leave_the_version(owner) -> None:
    before = dataversion.current()
    client = Client()
    wrong = client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    assert wrong.status_code == 200
    signed_in = client.post(reverse("login"), {"username": "owner", "password": PASSWORD})
    assert signed_in.status_code == 302
    client.post(reverse("logout"))
    assert User.objects.get(pk=owner.pk).last_login is not None
    assert dataversion.current() == before


def test_a_token_used_leaves_the_version(owner) -> None:
    issued = create_api_token(user=owner, name="Reporting")
    before = dataversion.current()
    answer = Client().get("/api/v1/projects", HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert answer.status_code == 200
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None
    assert dataversion.current() == before


def test_a_write_that_also_changes_data_moves_the_version(project, owner) -> None:
    (notification,) = _notifications(project, owner, 1)
    issued = create_api_token(user=owner, name="Reporting")
    before = dataversion.current()
    Notification.objects.filter(pk=notification.pk).update(read_at=None, title="Moved")
    User.objects.filter(pk=owner.pk).update(last_login=None, display_name="Owen")
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=None, name="Renamed")
    assert dataversion.current() == before + 3
    with transaction.atomic():
        CustomerFactory.create()
    assert dataversion.current() == before + 4


def test_a_new_notification_moves_the_version(project, owner) -> None:
    before = dataversion.current()
    _notifications(project, owner, 1)
    assert dataversion.current() > before


def test_bell_counts_a_read_notification_at_once_while_pages_stay_cached(project, owner) -> None:
    first, _second = _notifications(project, owner, 2)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    url = reverse("projects:list")
    assert _bell(client.get(url).content.decode()) == 2
    with CaptureQueriesContext(connection) as kept:
        assert _bell(client.get(url).content.decode()) == 2
    # Opened from the bell's list: marked read on the way to its link.
    assert client.get(reverse("notify:open", args=[first.pk])).status_code == 302
    with CaptureQueriesContext(connection) as after_reading:
        page = client.get(url).content.decode()
    assert _bell(page) == 1
    assert "ERP rollout" in page
    # The list's rows came from the cache, as before the notification was read.
    assert len(after_reading) == len(kept)
    CustomerFactory.create()  # data: the list is computed afresh
    with CaptureQueriesContext(connection) as fresh:
        assert _bell(client.get(url).content.decode()) == 1
    assert len(fresh) > len(kept)


def test_inbox_shows_a_notification_read_at_once(project, owner) -> None:
    first, second = _notifications(project, owner, 2)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)

    def unread(query: str = "") -> list[int]:
        page = client.get(reverse("notify:list") + query).context["page"]
        return [n.pk for n in page.object_list if not n.is_read]

    assert sorted(unread()) == sorted([first.pk, second.pk])
    assert client.get(reverse("notify:list") + "?unread=on").context["page"].paginator.count == 2
    client.post(reverse("notify:mark_read", args=[first.pk]))
    assert unread() == [second.pk]
    assert unread("?unread=on") == [second.pk]
    assert client.get(reverse("notify:list") + "?unread=on").context["page"].paginator.count == 1


def test_api_counts_unread_notifications_at_once(project, owner) -> None:
    first, _second = _notifications(project, owner, 2)
    issued = create_api_token(user=owner, name="Inbox")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    url = "/api/v1/notifications?unread=true"
    assert client.get(url).json()["count"] == 2
    assert client.post(f"/api/v1/notifications/{first.pk}/read").status_code == 200
    answer = client.get(url).json()
    assert (answer["count"], len(answer["items"])) == (1, 1)


def test_failed_deliveries_page_shows_a_retry_at_once(project, owner, admin_user) -> None:
    (notification,) = _notifications(project, owner, 1)
    delivery = notification.deliveries.get(channel=Channel.EMAIL)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    url = reverse("notify:failures")

    def failed() -> list[int]:
        return [row.pk for row in client.get(url).context["page"].object_list]

    assert failed() == [delivery.pk]
    retry_delivery(delivery=delivery)
    assert failed() == []


def test_people_list_shows_a_login_at_once(admin_user, colleague) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    url = reverse("accounts:users") + "?sort=-last_login"

    def last_logins() -> dict[str, Any]:
        rows = client.get(url).context["page"].object_list
        return {user.username: user.last_login for user in rows}

    assert last_logins()["colleague"] is None
    Client().post(reverse("login"), {"username": "colleague", "password": PASSWORD})
    assert last_logins()["colleague"] == User.objects.get(pk=colleague.pk).last_login
    assert last_logins()["colleague"] is not None


def test_token_page_shows_a_token_used_at_once(owner) -> None:
    issued = create_api_token(user=owner, name="Reporting")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)

    def last_used() -> Any:
        return [token.last_used_at for token in client.get(reverse("api:tokens")).context["tokens"]]

    assert last_used() == [None]
    Client().get("/api/v1/projects", HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert last_used() == [ApiToken.objects.get(pk=issued.token.pk).last_used_at]
    assert last_used() != [None]


def test_a_transaction_with_only_bookkeeping_does_not_bypass_the_cache(project, owner) -> None:
    (notification,) = _notifications(project, owner, 1)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return 1

    dataversion.cached("test.kept", (), compute)
    with transaction.atomic():
        mark_notification_read(notification=notification)
        assert not dataversion.has_pending_write(connection)
        dataversion.cached("test.kept", (), compute)
    assert len(calls) == 1


def test_bookkeeping_names_tables_and_columns_that_exist() -> None:
    """A renamed table or column must not silently start moving the version again
    (or, worse, stop a data column from moving it)."""
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        assert set(dataversion.BOOKKEEPING_TABLES) <= tables
        for table, columns in dataversion.BOOKKEEPING_COLUMNS.items():
            described = connection.introspection.get_table_description(cursor, table)
            assert columns <= {column.name for column in described}, table


@pytest.mark.parametrize(
    ("sql", "columns"),
    [
        ('UPDATE "core_user" SET "last_login" = %s WHERE "core_user"."id" = %s', {"last_login"}),
        (
            'UPDATE "t" SET "a" = COALESCE(%s, "a"), "b" = %s WHERE "id" IN '
            '(SELECT "id" FROM "u" WHERE "x" = %s, %s)',
            {"a", "b"},
        ),
        ("update t set a = 'x, WHERE b = 1', b = 2 where id = 3", {"a", "b"}),
        ('UPDATE "t" SET "a" = CASE WHEN "b" = %s THEN 1 ELSE 2 END', {"a"}),
        ('UPDATE "t" SET "a" = %s RETURNING "b"', {"a"}),
        # Not readable: counted as data.
        ('UPDATE "t" SET ("a", "b") = (%s, %s)', None),
        ('UPDATE "t" SET "t"."a" = %s', None),
        ("UPDATE t SET a = E'it\\'s', b = 1", None),
        ('UPDATE "t" SET "a" = %s,', None),
        ('INSERT INTO "t" ("a") VALUES (%s)', None),
    ],
)
def test_an_update_names_the_columns_it_sets(sql: str, columns: set[str] | None) -> None:
    expected = frozenset(columns) if columns is not None else None
    assert dataversion.assigned_columns(sql) == expected
