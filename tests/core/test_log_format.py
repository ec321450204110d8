"""HUIFANG_LOG_FORMAT=json: every log line is one JSON object a log collector can read
back (time, level, logger, message, the exception's traceback), and nothing the
request carried (cookies, the Authorization header, the password) is written."""

from __future__ import annotations

import datetime
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils.module_loading import import_string

from huifang.core.models import User

pytestmark = pytest.mark.django_db

API_TOKEN = "hfk_token-that-stays-out-of-logs"


@pytest.fixture
def json_log(settings: Any) -> Iterator[io.StringIO]:
    """The app's console handler as HUIFANG_LOG_FORMAT=json builds it (settings.LOGGING's
    own "json" formatter), written to a buffer instead of stderr."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(import_string(settings.LOGGING["formatters"]["json"]["()"])())
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [handler]
    try:
        yield stream
    finally:
        root.handlers = saved


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_line(json_log: io.StringIO) -> None:
    before = datetime.datetime.now(datetime.UTC)
    logging.getLogger("huifang.notify").warning("%d deliveries failed\nsee the list", 3)

    [line] = _lines(json_log)
    assert {key: line[key] for key in ("level", "logger", "message")} == {
        "level": "WARNING",
        "logger": "huifang.notify",
        "message": "3 deliveries failed\nsee the list",
    }
    written = datetime.datetime.fromisoformat(line["time"])
    assert before - datetime.timedelta(seconds=1) <= written <= datetime.datetime.now(datetime.UTC)
    assert sorted(line) == ["level", "logger", "message", "time"]


def test_an_exception_carries_its_traceback(json_log: io.StringIO) -> None:
    try:
        raise ValueError("due date before the window")
    except ValueError:
        logging.getLogger("huifang.visits").exception("planning failed for %s", "P-001")

    [line] = _lines(json_log)
    assert (line["level"], line["message"]) == ("ERROR", "planning failed for P-001")
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("ValueError: due date before the window")


def test_request_errors_are_logged_without_what_the_request_carried(
    json_log: io.StringIO, owner: User
) -> None:
    client = Client()
    client.force_login(owner)
    session = client.cookies["sessionid"].value

    response = client.post(
        "/no-such-page/",
        {"password": "hunter2-secret"},
        HTTP_AUTHORIZATION=f"Bearer {API_TOKEN}",
    )

    assert response.status_code == 404
    [line] = [entry for entry in _lines(json_log) if entry["logger"] == "django.request"]
    assert (line["level"], line["message"], line["status"]) == (
        "WARNING",
        "Not Found: /no-such-page/",
        404,
    )
    written = json_log.getvalue()
    assert [secret for secret in (session, API_TOKEN, "hunter2-secret") if secret in written] == []
