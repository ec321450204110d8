"""The ways a notification leaves the process: e-mail and group-robot webhooks.

Each sender raises :class:`ChannelError` (or any exception) on failure; the caller
records the reason and retries. The DingTalk and Feishu signatures follow their
robots' documentation: HMAC-SHA256 over ``"{timestamp}\\n{secret}"``, base64."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from huifang.notify.models import Channel, Delivery, EndpointKind, Notification, WebhookEndpoint

TIMEOUT = 10.0


class ChannelError(Exception):
    pass


def absolute_url(path: str) -> str:
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return settings.HUIFANG_BASE_URL.rstrip("/") + path


def send(delivery: Delivery) -> None:
    if delivery.channel == Channel.EMAIL:
        send_email(delivery)
    elif delivery.channel == Channel.WEBHOOK:
        if delivery.target is None:
            raise ChannelError("webhook delivery without an endpoint")
        post_webhook(delivery.target, _payload(delivery.notification))
    # In-app deliveries are sent when they are created.


def send_email(delivery: Delivery) -> None:
    notification = delivery.notification
    recipient = notification.recipient
    if not recipient.email:
        raise ChannelError("the recipient has no e-mail address")
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        context = {
            "notification": notification,
            "recipient": recipient,
            "link": absolute_url(notification.url),
            "inbox": absolute_url("/notifications/"),
        }
        text = render_to_string("notify/email.txt", context)
        html = render_to_string("notify/email.html", context)
        subject = f"[{_('Huifang')}] {notification.shown_title}"
    message = EmailMultiAlternatives(
        subject=subject.replace("\n", " "),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            # Lets a mail server (and the tests) recognise a repeated delivery.
            "X-Huifang-Delivery": str(delivery.pk),
            "X-Huifang-Notification": notification.idempotency_key,
        },
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)


def _payload(notification: Notification) -> dict[str, Any]:
    # A group chat has no reader of its own: the recipient's language, as e-mail.
    with translation.override(notification.recipient.language or settings.LANGUAGE_CODE):
        title, body = notification.worded()
    return {
        "title": title,
        "body": body,
        "url": absolute_url(notification.url),
        "kind": notification.kind,
        "recipient": str(notification.recipient),
        "project": str(notification.project) if notification.project_id else "",
        "created_at": notification.created_at.isoformat() if notification.created_at else "",
    }


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    # Feishu keys the HMAC with the string to sign and hashes an empty message.
    key = f"{timestamp_s}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _markdown(payload: dict[str, Any]) -> str:
    text = f"**{payload['title']}**\n\n{payload['body']}"
    if payload["url"]:
        text += f"\n\n[{_('Open')}]({payload['url']})"
    return text


def _request(endpoint: WebhookEndpoint, payload: dict[str, Any]) -> tuple[str, bytes, dict]:
    url = endpoint.url
    headers = {"Content-Type": "application/json; charset=utf-8"}
    body: dict[str, Any]
    if endpoint.kind == EndpointKind.WECOM:
        body = {"msgtype": "markdown", "markdown": {"content": _markdown(payload)}}
    elif endpoint.kind == EndpointKind.DINGTALK:
        body = {
            "msgtype": "markdown",
            "markdown": {"title": payload["title"], "text": _markdown(payload)},
        }
        if endpoint.secret:
            timestamp = int(time.time() * 1000)
            query = urllib.parse.urlencode(
                {"timestamp": timestamp, "sign": dingtalk_sign(endpoint.secret, timestamp)}
            )
            url += ("&" if "?" in url else "?") + query
    elif endpoint.kind == EndpointKind.FEISHU:
        text = f"{payload['title']}\n{payload['body']}"
        if payload["url"]:
            text += f"\n{payload['url']}"
        body = {"msg_type": "text", "content": {"text": text}}
        if endpoint.secret:
            timestamp = int(time.time())
            body = {
                "timestamp": str(timestamp),
                "sign": feishu_sign(endpoint.secret, timestamp),
                **body,
            }
    else:
        body = payload
    data = json.dumps(body, ensure_ascii=False).encode()
    if endpoint.kind == EndpointKind.GENERIC and endpoint.secret:
        signature = hmac.new(endpoint.secret.encode(), data, hashlib.sha256).hexdigest()
        headers["X-Huifang-Signature"] = f"sha256={signature}"
    return url, data, headers


def post_webhook(endpoint: WebhookEndpoint, payload: dict[str, Any]) -> None:
    url, data, headers = _request(endpoint, payload)
    try:
        response = httpx.post(url, content=data, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise ChannelError(f"{type(error).__name__}: {error}") from error
    if response.status_code >= 400:
        raise ChannelError(f"HTTP {response.status_code}: {response.text[:300]}")
    if endpoint.kind == EndpointKind.GENERIC:
        return
    # The robots answer HTTP 200 with an error code in the body.
    try:
        answer = response.json()
    except ValueError:
        return
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, None):
        reason = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
        raise ChannelError(f"{code}: {reason}")


def send_test(endpoint: WebhookEndpoint) -> None:
    post_webhook(
        endpoint,
        {
            "title": _("Huifang test message"),
            "body": _("If you can read this, the webhook “%(name)s” works.")
            % {"name": endpoint.name},
            "url": absolute_url("/"),
            "kind": "test",
            "recipient": "",
            "project": str(endpoint.project) if endpoint.project_id else "",
            "created_at": "",
        },
    )
