"""E-mail reaches a real SMTP server; webhooks reach a real HTTP server that checks
the DingTalk and Feishu signatures the way the robots do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from huifang.core.models import User
from huifang.notify.models import Channel, Delivery, DeliveryStatus, EndpointKind, WebhookEndpoint
from huifang.notify.services import notify, requeue_deliveries
from huifang.projects.models import Project
from huifang.visits.models import Visit

SECRET = "SEC-test-secret"


class RobotServer:
    """A local HTTP server standing in for the WeCom, DingTalk and Feishu robots."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                parsed = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                status, answer = robot.check(parsed.path, query, body, self.headers)
                if status == 200 and answer.get("errcode", answer.get("code", 0)) == 0:
                    robot.received.append((parsed.path, body))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def check(
        self, path: str, query: dict[str, str], body: dict[str, Any], headers: Any
    ) -> tuple[int, dict[str, Any]]:
        if path == "/dingtalk":
            timestamp = int(query.get("timestamp", "0"))
            to_sign = f"{timestamp}\n{SECRET}".encode()
            expected = base64.b64encode(
                hmac.new(SECRET.encode(), to_sign, hashlib.sha256).digest()
            ).decode()
            fresh = abs(time.time() * 1000 - timestamp) < 3600 * 1000
            if query.get("sign") != expected or not fresh:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/feishu":
            key = f"{body.get('timestamp')}\n{SECRET}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body.get("sign") != expected:
                return 200, {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                }
            return 200, {"code": 0, "msg": "success"}
        if path == "/wecom":
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/generic":
            raw = json.dumps(body, ensure_ascii=False).encode()
            expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            if headers.get("X-Huifang-Signature") != expected:
                return 401, {"detail": "bad signature"}
            return 200, {}
        return 500, {"detail": "robot is down"}

    def __enter__(self) -> RobotServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    with RobotServer() as server:
        yield server


def _endpoint(robots: RobotServer, kind: str, path: str, **fields: Any) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name=path.strip("/"), kind=kind, url=robots.url + path, **fields
    )


def _notify(visit: Visit, recipient: User, capture: Any, occasion: str = "due:2026-03-09") -> Any:
    with capture(execute=True):
        return notify(
            recipient=recipient,
            kind="visit_due_today",
            subject=visit,
            occasion=occasion,
            project=visit.project,
        )


def test_email_reaches_smtp_server_in_recipient_language(
    smtp_server: Any, kickoff: Visit, colleague: User, django_capture_on_commit_callbacks: Any
) -> None:
    colleague.language = "en"
    colleague.save(update_fields=["language"])
    notification = _notify(kickoff, colleague, django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "colleague@example.com"
    assert message["Subject"].strip() == "[Huifang] Visit due today: P-001 ERP rollout"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = f"http://127.0.0.1:8000/visits/{kickoff.pk}/"
    assert link in text
    assert f'href="{link}"' in html
    assert Delivery.objects.get(notification=notification, channel=Channel.EMAIL).status == "sent"


def test_email_in_chinese_for_chinese_user(
    smtp_server: Any, kickoff: Visit, colleague: User, django_capture_on_commit_callbacks: Any
) -> None:
    colleague.language = "zh-hans"
    colleague.save(update_fields=["language"])
    _notify(kickoff, colleague, django_capture_on_commit_callbacks)
    assert smtp_server.messages[0]["Subject"].strip() == "[回访] 今天到期的回访：P-001 ERP rollout"


def test_notify_twice_is_one_notification(
    smtp_server: Any, kickoff: Visit, colleague: User, django_capture_on_commit_callbacks: Any
) -> None:
    first = _notify(kickoff, colleague, django_capture_on_commit_callbacks)
    second = _notify(kickoff, colleague, django_capture_on_commit_callbacks)
    assert (first is not None, second, len(smtp_server.messages)) == (True, None, 1)


def test_email_preference_off_sends_no_mail(
    smtp_server: Any, kickoff: Visit, colleague: User, django_capture_on_commit_callbacks: Any
) -> None:
    from huifang.notify.services import save_notification_preference

    save_notification_preference(user=colleague, email=False, webhook=True, weekly_digest=True)
    notification = _notify(kickoff, colleague, django_capture_on_commit_callbacks)
    channels = list(notification.deliveries.values_list("channel", flat=True))
    assert (channels, smtp_server.messages) == ([Channel.IN_APP], [])


def test_webhooks_signed_and_received(
    robots: RobotServer, kickoff: Visit, colleague: User, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(robots, EndpointKind.DINGTALK, "/dingtalk", secret=SECRET)
    _endpoint(robots, EndpointKind.FEISHU, "/feishu", secret=SECRET)
    _endpoint(robots, EndpointKind.WECOM, "/wecom?key=abc")
    _endpoint(robots, EndpointKind.GENERIC, "/generic", secret=SECRET, project=kickoff.project)
    notification = _notify(kickoff, colleague, django_capture_on_commit_callbacks)
    assert sorted(path for path, _ in robots.received) == [
        "/dingtalk",
        "/feishu",
        "/generic",
        "/wecom",
    ]
    statuses = notification.deliveries.filter(channel=Channel.WEBHOOK).values_list(
        "status", flat=True
    )
    assert list(statuses) == ["sent"] * 4
    bodies = dict(robots.received)
    assert bodies["/dingtalk"]["msgtype"] == "markdown"
    assert bodies["/feishu"]["msg_type"] == "text"
    assert bodies["/generic"]["url"] == f"http://127.0.0.1:8000/visits/{kickoff.pk}/"


def test_wrong_signing_secret_is_recorded_and_retried(
    robots: RobotServer, kickoff: Visit, colleague: User, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(robots, EndpointKind.DINGTALK, "/dingtalk", secret="wrong")
    notification = _notify(kickoff, colleague, django_capture_on_commit_callbacks)
    delivery = notification.deliveries.get(channel=Channel.WEBHOOK)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        DeliveryStatus.PENDING,
        1,
        "ChannelError: 310000: sign not match",
    )


def test_failing_webhook_does_not_block_email_and_ends_failed(
    robots: RobotServer,
    smtp_server: Any,
    settings: Any,
    kickoff: Visit,
    colleague: User,
    admin_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.HUIFANG_NOTIFY_RETRY_BASE_SECONDS = 0
    settings.HUIFANG_NOTIFY_MAX_ATTEMPTS = 3
    _endpoint(robots, EndpointKind.GENERIC, "/down")
    notification = _notify(kickoff, colleague, django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 1
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            requeue_deliveries()
    delivery = notification.deliveries.get(channel=Channel.WEBHOOK)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert delivery.last_error.startswith("ChannelError: HTTP 500")
    client = Client()
    client.force_login(admin_user)
    page = client.get("/notifications/failures/").content.decode()
    assert "HTTP 500" in page


def test_webhook_test_button_posts_signed_message(
    robots: RobotServer, admin_user: User, project: Project
) -> None:
    endpoint = _endpoint(robots, EndpointKind.FEISHU, "/feishu", secret=SECRET)
    client = Client()
    client.force_login(admin_user)
    response = client.post(f"/notifications/webhooks/{endpoint.pk}/test/", follow=True)
    assert [path for path, _ in robots.received] == ["/feishu"]
    assert "Test message sent" in response.content.decode() or "测试消息已发送" in (
        response.content.decode()
    )


def test_webhook_test_button_shows_reason_on_failure(robots: RobotServer, admin_user: User) -> None:
    endpoint = _endpoint(robots, EndpointKind.DINGTALK, "/dingtalk", secret="wrong")
    client = Client()
    client.force_login(admin_user)
    response = client.post(f"/notifications/webhooks/{endpoint.pk}/test/", follow=True)
    assert "310000: sign not match" in response.content.decode()
