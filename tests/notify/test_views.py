"""The inbox, the bell, preferences and the admin's webhook pages: who may open what."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from huifang.core.models import User
from huifang.notify.models import Kind, Notification, NotificationPreference, WebhookEndpoint
from huifang.notify.services import notify
from huifang.projects.models import Project
from huifang.visits.models import Visit
from tests.pages import form_version


def _client(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _notification(visit: Visit, user: User, occasion: str = "due:2026-03-09") -> Notification:
    created = notify(
        recipient=user,
        kind=Kind.VISIT_DUE_TODAY,
        subject=visit,
        occasion=occasion,
        project=visit.project,
    )
    assert created is not None
    return created


@pytest.fixture
def english(colleague: User, outsider: User) -> None:
    for user in (colleague, outsider):
        user.language = "en"
        user.save(update_fields=["language"])


def test_list_shows_only_own_notifications(
    english: None, kickoff: Visit, colleague: User, outsider: User
) -> None:
    _notification(kickoff, colleague)
    _notification(kickoff, outsider)
    response = _client(colleague).get("/notifications/")
    assert response.status_code == 200
    assert [n.recipient for n in response.context["page"].object_list] == [colleague]


def test_list_requires_login() -> None:
    response = Client().get("/notifications/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/notifications/")


def test_list_query_count_does_not_grow_with_rows(
    english: None, kickoff: Visit, colleague: User
) -> None:
    _notification(kickoff, colleague, "one")
    client = _client(colleague)
    with CaptureQueriesContext(connection) as one:
        client.get("/notifications/")
    for index in range(5):
        _notification(kickoff, colleague, f"more-{index}")
    with CaptureQueriesContext(connection) as several:
        client.get("/notifications/")
    assert len(several) == len(one)


def test_list_filters_unread_and_search(english: None, kickoff: Visit, colleague: User) -> None:
    read = _notification(kickoff, colleague, "a")
    _notification(kickoff, colleague, "b")
    Notification.objects.filter(pk=read.pk).update(read_at=datetime.datetime.now(datetime.UTC))
    page = _client(colleague).get("/notifications/?unread=on").context["page"]
    assert len(page.object_list) == 1
    page = _client(colleague).get("/notifications/?q=nothing-like-this").context["page"]
    assert list(page.object_list) == []


def test_bell_shows_unread_count(english: None, kickoff: Visit, colleague: User) -> None:
    _notification(kickoff, colleague, "a")
    _notification(kickoff, colleague, "b")
    html = _client(colleague).get("/notifications/").content.decode()
    assert '<span class="badge text-bg-danger" data-testid="unread-count">2</span>' in html


def test_bell_count_follows_new_and_read_notifications_at_once(
    english: None, kickoff: Visit, colleague: User
) -> None:
    client = _client(colleague)
    badge = '<span class="badge text-bg-danger" data-testid="unread-count">{}</span>'
    first = _notification(kickoff, colleague, "a")
    assert badge.format(1) in client.get("/notifications/").content.decode()
    _notification(kickoff, colleague, "b")
    assert badge.format(2) in client.get("/notifications/").content.decode()
    client.post(f"/notifications/{first.pk}/read/")
    assert badge.format(1) in client.get("/notifications/").content.decode()


def test_mark_read_own_notification(english: None, kickoff: Visit, colleague: User) -> None:
    notification = _notification(kickoff, colleague)
    response = _client(colleague).post(f"/notifications/{notification.pk}/read/")
    notification.refresh_from_db()
    assert (response.status_code, notification.is_read) == (302, True)


def test_mark_read_htmx_returns_row(english: None, kickoff: Visit, colleague: User) -> None:
    notification = _notification(kickoff, colleague)
    response = _client(colleague).post(
        f"/notifications/{notification.pk}/read/", HTTP_HX_REQUEST="true"
    )
    assert response.templates[0].name == "notify/_notification_row.html"


def test_others_notification_is_404(
    english: None, kickoff: Visit, colleague: User, outsider: User
) -> None:
    notification = _notification(kickoff, colleague)
    client = _client(outsider)
    assert client.post(f"/notifications/{notification.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{notification.pk}/open/").status_code == 404
    notification.refresh_from_db()
    assert notification.is_read is False


def test_open_marks_read_and_follows_link(english: None, kickoff: Visit, colleague: User) -> None:
    notification = _notification(kickoff, colleague)
    response = _client(colleague).get(f"/notifications/{notification.pk}/open/")
    notification.refresh_from_db()
    assert (response["Location"], notification.is_read) == (f"/visits/{kickoff.pk}/", True)


def test_mark_all_read(english: None, kickoff: Visit, colleague: User, outsider: User) -> None:
    _notification(kickoff, colleague, "a")
    _notification(kickoff, colleague, "b")
    other = _notification(kickoff, outsider, "c")
    _client(colleague).post("/notifications/read-all/")
    unread = Notification.objects.filter(read_at__isnull=True)
    assert list(unread) == [other]


def test_preferences_saved(english: None, colleague: User) -> None:
    client = _client(colleague)
    page = "/notifications/preferences/"
    version = form_version(client, page)
    response = client.post(page, {"webhook": "on", "weekly_digest": "on", "version": version})
    preference = NotificationPreference.objects.get(user=colleague)
    assert (response.status_code, preference.email, preference.webhook) == (302, False, True)


def test_preferences_requires_login() -> None:
    assert Client().get("/notifications/preferences/").status_code == 302


@pytest.mark.parametrize(
    "path", ["/notifications/webhooks/", "/notifications/webhooks/new/", "/notifications/failures/"]
)
def test_admin_pages_forbidden_to_others(
    path: str, owner: User, executive: User, quality: User
) -> None:
    for user in (owner, executive, quality):
        assert _client(user).get(path).status_code == 403


def test_webhook_create_validation_keeps_input(admin_user: User, project: Project) -> None:
    response = _client(admin_user).post(
        "/notifications/webhooks/new/",
        {
            "name": "Team robot",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["secret"] == [
        "DingTalk and Feishu robots need their signing secret here."
    ]
    assert 'value="Team robot"' in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_webhook_create_for_project(admin_user: User, project: Project) -> None:
    response = _client(admin_user).post(
        "/notifications/webhooks/new/",
        {
            "name": "Team robot",
            "kind": "feishu",
            "url": "https://open.feishu.cn/open-apis/bot/v2/hook/x",
            "secret": "s3cret",
            "project": project.pk,
            "is_active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert (response.status_code, endpoint.project, endpoint.kind) == (302, project, "feishu")


def test_webhook_test_forbidden_to_non_admin(owner: User) -> None:
    endpoint = WebhookEndpoint.objects.create(name="x", kind="generic", url="http://127.0.0.1:9/")
    assert _client(owner).post(f"/notifications/webhooks/{endpoint.pk}/test/").status_code == 403
