"""Huifang served as in production (``huifang serve``: gunicorn) against the test
database, and a small cookie-keeping HTTP client that logs in through the login form.
The fault tests break what is under a running server, not what is under the test
client."""

from __future__ import annotations

import http.cookiejar
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from huifang.core.models import User
from tests.faults.helpers import BIN, app_env, free_port, start, stop, wait_for

PASSWORD = "fault-test-password"


def give_password(user: User) -> None:
    """A password the served process can check: the tests' fast MD5 hasher is not in
    its list, so this is a (cheap) PBKDF2 hash."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])


@dataclass
class Response:
    status: int
    body: str
    location: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class HttpClient:
    base_url: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def _open(self, request: urllib.request.Request, timeout: float) -> Response:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        request.add_header("Accept-Language", "en")
        try:
            with opener.open(request, timeout=timeout) as answer:
                return Response(
                    answer.status, answer.read().decode(), answer.headers["Location"] or ""
                )
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode(), error.headers["Location"] or "")

    def get(self, path: str, timeout: float = 30) -> Response:
        return self._open(urllib.request.Request(self.base_url + path), timeout)  # noqa: S310

    def post(self, path: str, data: dict[str, str], timeout: float = 30) -> Response:
        token = next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token or ""}).encode()
        request = urllib.request.Request(  # noqa: S310
            self.base_url + path,
            data=body,
            headers={"Referer": self.base_url + path},
        )
        return self._open(request, timeout)

    def log_in(self, username: str) -> Response:
        form = self.get("/login/")
        assert form.status == 200, form.status
        assert re.search(r'name="csrfmiddlewaretoken"', form.body)
        return self.post("/login/", {"username": username, "password": PASSWORD})


@dataclass
class ServedApp:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> HttpClient:
        return HttpClient(self.base_url)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def served(tmp_path: Path, secret_key: str, **env: str) -> Iterator[ServedApp]:
    """``huifang serve`` with one worker (unless ``HUIFANG_WORKERS`` in ``env`` says
    more) and one thread (so consecutive requests share its database connection, as they
    do in production), stopped however the test ends."""
    port = free_port()
    log = tmp_path / "serve.log"
    process = start(
        [
            str(BIN / "huifang"),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            env.get("HUIFANG_WORKERS", "1"),
            "--threads",
            "1",
        ],
        app_env(
            HUIFANG_DATA_DIR=str(tmp_path),
            HUIFANG_SECRET_KEY=secret_key,
            HUIFANG_PERIODIC_JOBS="0",
            **env,
        ),
        log,
    )
    app = ServedApp(f"http://127.0.0.1:{port}", process, log)
    try:

        def answers() -> bool:
            assert process.poll() is None, app.log_text()
            try:
                return app.client().get("/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(answers, 60, "the server to answer")
        yield app
    finally:
        stop(process)
