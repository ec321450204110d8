"""A PostgreSQL connection killed while a request is in a query (a failover, an
administrator, an idle-session killer): that request fails cleanly, and the served
process's next request gets a new connection and succeeds (``CONN_MAX_AGE`` with
``CONN_HEALTH_CHECKS``)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from huifang.core.models import User
from huifang.projects.models import Project
from tests.faults.served import Response, give_password, served

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="kills a PostgreSQL backend; SQLite has none",
    ),
    pytest.mark.django_db(transaction=True),
]


def _connect(autocommit: bool) -> Any:
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=autocommit,
    )


def _backend_waiting_for_a_lock(watcher: Any) -> int | None:
    row = watcher.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND backend_type = 'client backend'"
    ).fetchone()
    return int(row[0]) if row else None


def test_request_killed_mid_query_fails_cleanly_and_the_next_succeeds(
    project: Project, owner: User, tmp_path: Path
) -> None:
    give_password(owner)
    page = f"/projects/{project.pk}/"
    with served(tmp_path, settings.SECRET_KEY) as app:
        client = app.client()
        assert client.log_in("owner").status == 302
        assert client.get("/").status == 200  # the worker now holds a kept connection

        answers: list[Response] = []
        with _connect(autocommit=False) as locker, _connect(autocommit=True) as watcher:
            # The trigger: the page's first read of the project waits on this lock,
            # so the request is inside a query when its backend is terminated.
            locker.execute("LOCK TABLE projects_project IN ACCESS EXCLUSIVE MODE")
            request = threading.Thread(target=lambda: answers.append(client.get(page)))
            request.start()
            try:
                pid = None
                for _ in range(200):
                    pid = _backend_waiting_for_a_lock(watcher)
                    if pid:
                        break
                    request.join(0.05)
                assert pid, "the request never reached the locked table"
                killed = watcher.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()
                assert killed == (True,)
            finally:
                locker.rollback()
                request.join(30)
        assert not request.is_alive(), "the killed request never answered"

        failed = answers[0]
        # Cleanly: a server error page at once, no traceback, no hang, no half page.
        assert failed.status == 500
        assert "Traceback" not in failed.body
        assert "ERP rollout" not in failed.body
        # The next requests, on the same worker, succeed on a new connection.
        again = client.get(page)
        assert (again.status, "ERP rollout" in again.body) == (200, True)
        assert client.get("/").status == 200
        assert app.process.poll() is None
        assert "terminating connection due to administrator command" in app.log_text()
