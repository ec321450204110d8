"""A writer that finds the database locked gets 503 with Retry-After, never a 500: the
lock is really held, by another connection to the same SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from huifang.api.tokens import create_api_token
from huifang.core.busy import is_lock_error, server_error
from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from tests.factories import CustomerFactory

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock")
real_lock = pytest.mark.django_db(transaction=True)  # the other connection must see our rows


@pytest.fixture
def short_busy_timeout() -> Iterator[None]:
    """Wait half a second for the lock, not the default 20 s."""
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    options["timeout"] = 0.5
    options["init_command"] = saved["init_command"].replace(
        "busy_timeout=20000", "busy_timeout=500"
    )
    connection.close()
    yield
    connection.close()
    options.clear()
    options.update(saved)


@pytest.fixture
def other_writer(short_busy_timeout: None) -> Iterator[sqlite3.Connection]:
    """Another process's connection; ``BEGIN IMMEDIATE`` on it takes the write lock
    and holds it until it rolls back (as a writer in the middle of its transaction)."""
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    yield other
    if other.in_transaction:
        other.rollback()
    other.close()


def _project_fields(customer_id: int) -> dict[str, Any]:
    return {"code": "BUSY-1", "name": "Busy", "customer_id": customer_id}


@on_sqlite
@real_lock
def test_api_write_on_a_locked_database_answers_503_with_retry_after(
    owner: User, policy: Policy, other_writer: sqlite3.Connection
) -> None:
    customer = CustomerFactory.create()
    token = create_api_token(user=owner, name="script").raw
    other_writer.execute("BEGIN IMMEDIATE")
    client = Client(
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="en",
        raise_request_exception=False,
    )
    response = client.post(
        "/api/v1/projects",
        {**_project_fields(customer.pk), "planned_start": "2026-12-07"},
        content_type="application/json",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "The database is busy. Nothing was saved; please try again in a few seconds."
    }
    other_writer.rollback()
    again = client.post(
        "/api/v1/projects",
        {**_project_fields(customer.pk), "planned_start": "2026-12-07"},
        content_type="application/json",
    )
    assert again.status_code == 201
    assert Project.objects.filter(code="BUSY-1").count() == 1


@on_sqlite
@real_lock
def test_page_write_on_a_locked_database_answers_503_page_in_chinese(
    owner: User, policy: Policy, other_writer: sqlite3.Connection
) -> None:
    customer = CustomerFactory.create()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", raise_request_exception=False)
    client.force_login(owner)
    other_writer.execute("BEGIN IMMEDIATE")
    response = client.post(
        reverse("projects:create"),
        {
            "code": "BUSY-2",
            "name": "Busy",
            "customer": customer.pk,
            "manager": owner.pk,
            "status": "active",
            "cadence": "monthly",
            "planned_start": "2026-12-07",
            "policy": policy.pk,
        },
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "数据库正忙，本次未保存任何内容" in page
    assert not Project.objects.filter(code="BUSY-2").exists()


def test_other_database_errors_are_not_disguised_as_busy() -> None:
    assert not is_lock_error(OperationalError("no such table: nowhere"))
    assert not is_lock_error(ValueError("database is locked"))
    assert is_lock_error(OperationalError("database is locked"))


@pytest.mark.django_db
def test_lock_error_outside_a_view_answers_503_too(rf: Any, owner: User) -> None:
    """A middleware's write (a session saved after the view) reaches ``handler500``."""
    request = rf.post("/projects/new/")
    request.user = owner
    try:
        raise OperationalError("database is locked")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    try:
        raise OperationalError("disk I/O error")
    except OperationalError:
        assert server_error(request).status_code == 500
