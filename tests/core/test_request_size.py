"""Oversized request bodies are refused with 413 before anything reads them: through
the WSGI application gunicorn serves (huifang.wsgi.application), and by a real
`huifang serve` process to a client that has sent only the headers."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from huifang.api.tokens import create_api_token
from huifang.core.models import User
from huifang.customers.models import Customer
from huifang.wsgi import application

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


class Body(io.RawIOBase):
    """A request body of ``size`` bytes that counts what the server reads of it."""

    def __init__(self, size: int, content: bytes = b"") -> None:
        self.size = size
        self.content = content
        self.taken = 0

    def readable(self) -> bool:
        return True

    def read(self, limit: int = -1) -> bytes:
        left = self.size - self.taken
        count = left if limit is None or limit < 0 else min(limit, left)
        start = self.taken
        self.taken += count
        if self.content:
            return self.content[start : start + count]
        return b"x" * count

    def readline(self, limit: int = -1) -> bytes:  # type: ignore[override]
        return self.read(limit if limit and limit > 0 else 1024)


def _call(
    path: str, body: Body, *, length: int | None, headers: dict[str, str] | None = None
) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": body,
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
        "HTTP_ACCEPT_LANGUAGE": "en",
    }
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    environ.update(headers or {})
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
        answer["status"], answer["headers"] = status, dict(response_headers)

    content = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], content


@pytest.fixture
def limit_1mb(settings: Any) -> None:
    settings.HUIFANG_MAX_REQUEST_MB = 1


def test_a_100_mb_upload_is_refused_before_a_byte_is_read(limit_1mb: None) -> None:
    body = Body(100 * MB)
    status, headers, content = _call("/visits/1/attachments/", body, length=100 * MB)
    assert status.startswith("413")
    assert body.taken == 0
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert content.decode() == "The request is too large: at most 1 MB can be sent."


def test_the_refusal_speaks_the_clients_language_and_json_to_the_api(limit_1mb: None) -> None:
    status, headers, content = _call(
        "/api/v1/customers",
        Body(2 * MB),
        length=2 * MB,
        headers={"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"},
    )
    assert status.startswith("413")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(content) == {"detail": "请求过大：最多只能发送 1 MB。"}


def test_a_chunked_body_over_the_limit_is_refused_having_read_only_the_limit(
    limit_1mb: None,
) -> None:
    body = Body(100 * MB)
    status, _headers, _content = _call(
        "/visits/1/attachments/", body, length=None, headers={"HTTP_TRANSFER_ENCODING": "chunked"}
    )
    assert status.startswith("413")
    assert body.taken == MB + 1


@pytest.mark.django_db(transaction=True)
def test_bodies_within_the_limit_reach_the_application(limit_1mb: None, quality: User) -> None:
    token = create_api_token(user=quality, name="test").raw
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}", "CONTENT_TYPE": "application/json"}
    payload = json.dumps({"name": "Acme"}).encode()
    status, _headers, content = _call(
        "/api/v1/customers", Body(len(payload), payload), length=len(payload), headers=auth
    )
    assert status.startswith("201"), content
    # A chunked one too: Django alone would have read it as empty (no Content-Length).
    payload = json.dumps({"name": "Globex"}).encode()
    status, _headers, content = _call(
        "/api/v1/customers",
        Body(len(payload), payload),
        length=None,
        headers={**auth, "HTTP_TRANSFER_ENCODING": "chunked"},
    )
    assert status.startswith("201"), content
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Acme", "Globex"]


# --- A real server ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    """`huifang serve` (gunicorn, one worker) on a free port, with a 1 MB limit."""
    port = _free_port()
    env = {
        **os.environ,
        "HUIFANG_DATA_DIR": str(tmp_path),
        "HUIFANG_MAX_REQUEST_MB": "1",
        "HUIFANG_PERIODIC_JOBS": "0",
    }
    env.pop("HUIFANG_DATABASE_URL", None)
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            sys.executable,
            "-m",
            "huifang.cli",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "huifang serve exited"
                assert time.monotonic() < deadline, "huifang serve did not start"
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_served_process_answers_413_to_the_headers_alone(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=10) as client:
        client.sendall(
            b"POST /visits/1/attachments/ HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\n"
            b"Accept-Language: en\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 104857600\r\n\r\n"
        )
        # Not a byte of the 100 MB is sent: the answer must come anyway.
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"sent."):
            chunk = client.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert answer.endswith(b"The request is too large: at most 1 MB can be sent.")
