"""``huifang serve`` as in production: with /metrics on and two gunicorn workers the
request counts are the sum over the workers (workers killed mid-run lose none of
them), and with HUIFANG_LOG_FORMAT=json every line it writes is JSON."""

from __future__ import annotations

import json
import os
import secrets
import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.faults.helpers import wait_for
from tests.faults.served import served
from tests.monitoring.conftest import TOKEN, parse

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN_OK = ("huifang_http_request_duration_seconds_count", (("method", "GET"),
            ("route", "login"), ("status", "2xx")))  # fmt: skip


def _scrape(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    request = urllib.request.Request(  # noqa: S310
        f"{base_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return parse(answer.read().decode())


def _worker_pids(directory: Path) -> set[int]:
    return {int(path.stem.rsplit("_", 1)[1]) for path in directory.glob("histogram_*.db")}


def test_two_workers_count_every_request_even_after_they_die(tmp_path: Path) -> None:
    with served(
        tmp_path, secrets.token_urlsafe(40), HUIFANG_WORKERS="2", HUIFANG_METRICS_TOKEN=TOKEN
    ) as app:
        # Each request on a new connection, so either worker may take it.
        for _ in range(20):
            assert app.client().get("/login/").status == 200
        directory = tmp_path / "prometheus"  # chosen by `huifang serve`: two workers
        pids = _worker_pids(directory)
        assert pids

        # Whichever worker answers the scrape, it adds up every worker's count.
        assert {_scrape(app.base_url).get(LOGIN_OK) for _ in range(6)} == {20}

        # Every worker that counted anything dies (workers of the server this test
        # started); gunicorn starts new ones, which count from nothing.
        for pid in pids:
            os.kill(pid, signal.SIGKILL)

        def replaced() -> bool:
            try:
                return app.client().get("/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(replaced, 30, "gunicorn to replace the killed worker")
        assert {_scrape(app.base_url).get(LOGIN_OK) for _ in range(6)} == {20}


def test_served_app_writes_json_lines(tmp_path: Path) -> None:
    cookie = "sessionid=cookie-that-stays-out-of-logs"
    with served(tmp_path, secrets.token_urlsafe(40), HUIFANG_LOG_FORMAT="json") as app:
        request = urllib.request.Request(  # noqa: S310
            f"{app.base_url}/no-such-page/",
            headers={"Cookie": cookie, "Authorization": "Bearer token-that-stays-out-of-logs"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)  # noqa: S310
        assert refused.value.code == 404
    text = app.log_text()

    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert {"gunicorn.error", "gunicorn.access", "django.request"} <= {
        line["logger"] for line in lines
    }
    [not_found] = [line for line in lines if line["logger"] == "django.request"]
    assert (not_found["level"], not_found["message"], not_found["status"]) == (
        "WARNING",
        "Not Found: /no-such-page/",
        404,
    )
    assert "cookie-that-stays-out-of-logs" not in text
    assert "token-that-stays-out-of-logs" not in text
