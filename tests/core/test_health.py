"""/healthz names what does not answer (the database; Redis where configured, a real
``redis-server`` of the test's own, killed); /readyz answers 503 while the database
lacks a migration the code has."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from tests.faults.helpers import OwnRedis

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(
    not OwnRedis.BINARY.exists() and os.environ.get("HUIFANG_REQUIRE_FAULTS") != "1",
    reason="needs /usr/bin/redis-server",
)


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    try:
        yield server
    finally:
        server.kill()


def test_healthz_without_redis_checks_the_database_only(client: Client) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (
        200,
        {"status": "ok", "checks": {"database": "ok"}},
    )


@needs_redis
def test_healthz_checks_configured_redis_and_names_it_when_it_is_gone(
    client: Client, own_redis: OwnRedis
) -> None:
    healthy = client.get("/healthz")
    assert (healthy.status_code, healthy.json()) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "redis": "ok"}},
    )

    own_redis.kill()

    failing = client.get("/healthz")
    assert (failing.status_code, failing.json()) == (
        503,
        {"status": "error", "checks": {"database": "ok", "redis": "failed"}, "failing": ["redis"]},
    )


def test_healthz_names_a_database_that_does_not_answer(client: Client, settings: Any) -> None:
    # A connection whose server refuses: the database check fails and says so.
    connection.close()
    saved = connection.settings_dict.copy()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/huifang.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"
    try:
        response = client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert (response.status_code, response.json()) == (
        503,
        {"status": "error", "checks": {"database": "failed"}, "failing": ["database"]},
    )


def test_readyz_answers_ok_when_every_migration_is_applied(client: Client) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_answers_503_while_a_migration_is_pending(client: Client) -> None:
    # As after deploying new code and before `huifang migrate`: the database does not
    # have the latest migration of an app (the record is rolled back with the test).
    MigrationRecorder(connection).record_unapplied("notify", "0008_sweep_run")

    response = client.get("/readyz")

    assert (response.status_code, response.json()) == (
        503,
        {"status": "migrations pending", "pending": 1},
    )
