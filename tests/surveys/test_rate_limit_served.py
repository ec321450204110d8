"""The survey limit as served: ``huifang serve --workers 3`` without Redis (the default
``make run``) against a file SQLite database. Issue 16 saw a limit of 10 let 20 of 34
posts through, each gunicorn worker counting in its own memory; the count must be one.

No model is imported here: the data is made by ``huifang shell`` in the served data
directory, as an operator would."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
HUIFANG = str(Path(sys.executable).parent / "huifang")

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="the embedded set-up (file SQLite, no Redis) is where workers counted apart",
)

SETUP = """
from huifang.core.models import Role, User
from huifang.customers.models import Contact, Customer
from huifang.policy.services import ensure_default_policy
from huifang.projects.services import create_project
from huifang.surveys.services import invite_contacts
import datetime
manager = User.objects.create(username="pm", role=Role.PROJECT_MANAGER)
customer = Customer.objects.create(name="Acme")
contact = Contact.objects.create(customer=customer, name="Li Lei", language="en")
project, _ = create_project(code="P-1", name="ERP", customer=customer, manager=manager,
    status="active", cadence="monthly", policy=ensure_default_policy(),
    planned_start=datetime.date.today(), planned_end=datetime.date.today())
visit = project.visits.get(phase="closing")
(link,) = invite_contacts(visit=visit, contacts=[contact], invited_by=manager, base_url="")
print("LINK", link.url)
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "HUIFANG_DATA_DIR": str(data_dir), "HUIFANG_PERIODIC_JOBS": "0"}
    for name in ("HUIFANG_DATABASE_URL", "HUIFANG_REDIS_URL", "HUIFANG_SURVEY_RATE_LIMIT"):
        env.pop(name, None)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, survey path) of three gunicorn workers serving a fresh database."""
    env = _env(tmp_path)

    def huifang(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own command line)
            [HUIFANG, *arguments],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )

    huifang("migrate", "--noinput")
    made = huifang("shell", "-c", SETUP)
    path = re.search(r"LINK \S*?(/s/\S+)", made.stdout)  # the link's path
    assert path, made.stdout + made.stderr
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [HUIFANG, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "3", "--threads", "1"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening, or workers still loading
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.5)
        yield base, path.group(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_three_workers_accept_exactly_the_limit(served: tuple[str, str]) -> None:
    base, path = served
    browser = requests.Session()
    page = browser.get(base + path + "?lang=en", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    statuses = []
    for _ in range(34):
        # A new connection each time (Connection: close), so the posts spread over
        # the workers as separate visitors' would.
        response = requests.post(
            base + path + "?lang=en",
            data={"csrfmiddlewaretoken": token.group(1)},
            cookies=browser.cookies,
            headers={"Referer": base + path, "Connection": "close"},
            timeout=30,
        )
        statuses.append(response.status_code)
    # Empty answers: each of the ten allowed posts is shown the form again (400).
    assert statuses == [400] * 10 + [429] * 24
