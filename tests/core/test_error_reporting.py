"""With ``HUIFANG_SENTRY_DSN`` set, an error raised in a view reaches the error server
(a tiny HTTP server of the test's own, receiving what sentry-sdk really sends) with
its environment and release, and without the cookies, the password, the bearer token
or the signed-in user."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client, RequestFactory

from huifang.core.error_reporting import start_error_reporting
from huifang.core.models import User
from tests.core.urls_failing import FAILURE

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
API_TOKEN = "hfk_api-token-that-must-stay-home"


@dataclass
class ErrorServer:
    dsn: str
    envelopes: list[bytes] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        """The events of every envelope received (an envelope is a header line, then
        item header and payload lines)."""
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


def _decoded(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli  # sentry-sdk compresses with brotli when it is installed

        return bytes(brotli.decompress(body))
    return body


@pytest.fixture
def error_server() -> Iterator[ErrorServer]:
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(_decoded(body, self.headers.get("Content-Encoding", "")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        yield ErrorServer(f"http://publickey@127.0.0.1:{port}/7", received)
    finally:
        # Reporting off again for the tests that follow.
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.init()
        server.shutdown()
        server.server_close()


def test_error_in_a_view_arrives_without_cookies_passwords_or_tokens(
    error_server: ErrorServer, settings: Any, owner: User
) -> None:
    settings.ROOT_URLCONF = "tests.core.urls_failing"
    start_error_reporting(dsn=error_server.dsn, environment="staging", release="huifang@1.4.2")
    signed_in = Client()
    signed_in.force_login(owner)
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    # Through the WSGI application, as gunicorn calls it (the test client skips the
    # WSGI layer, where sentry-sdk reads the request's URL, headers and cookies).
    request = RequestFactory().post(
        "/fail/?next=/projects/",
        {"username": owner.username, "password": PASSWORD},
        HTTP_AUTHORIZATION=f"Bearer {API_TOKEN}",
        HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}={session}",
    )
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    # As the test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = get_wsgi_application()(request.environ, start_response)
        b"".join(body)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    sentry_sdk.flush(timeout=10)

    assert statuses == ["500 Internal Server Error"]
    reported = [
        event
        for event in error_server.events()
        for error in event.get("exception", {}).get("values", [])
        if (error["type"], error["value"]) == ("RuntimeError", FAILURE)
    ]
    assert len(reported) == 1
    event = reported[0]
    assert (event["environment"], event["release"]) == ("staging", "huifang@1.4.2")
    assert (event["request"]["method"], event["request"]["url"]) == (
        "POST",
        "http://testserver/fail/",
    )
    everything = b"\n".join(error_server.envelopes).decode()
    leaked = [
        secret
        for secret in (session, PASSWORD, API_TOKEN, owner.username, owner.email)
        if secret and secret in everything
    ]
    assert leaked == []
    assert "cookies" not in event["request"]
    headers = event["request"]["headers"]
    assert (headers["Authorization"], headers["Cookie"]) == ("[Filtered]", "[Filtered]")
    assert "user" not in event or not event["user"].get("id")
