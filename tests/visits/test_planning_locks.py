"""Planning every project next to other transactions (PostgreSQL: row locks).

A run over all projects keeps a chunk of projects locked until it commits. Rows that
merely refer to a project (a new visit, a notification) must not wait for it, and a
transaction that locks some of the same projects in another order must not make the
run fail: PostgreSQL ends such a deadlock by aborting one side, and the run plans the
chunk again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.visits.planning import plan_all_projects
from tests.visits.planned_projects import TODAY, make_projects

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

LOCK_PROJECT = "SELECT id FROM projects_project WHERE id = %s FOR NO KEY UPDATE"


@contextmanager
def other_transaction() -> Iterator[BaseDatabaseWrapper]:
    """A second connection with a transaction open, as another process would have."""
    other = connection.copy()
    other.set_autocommit(False)
    try:
        yield other
    finally:
        other.rollback()
        other.close()


def test_run_does_not_wait_for_rows_that_refer_to_its_projects(policy: Policy, owner: User) -> None:
    project = make_projects(1, policy=policy, owner=owner)[0]
    with other_transaction() as other, other.cursor() as cursor:
        # What inserting a visit or a notification of the project does to it.
        cursor.execute("SELECT id FROM projects_project WHERE id = %s FOR KEY SHARE", [project.pk])
        with connection.cursor() as ours:
            ours.execute("SET lock_timeout = '3s'")  # waiting would fail the test, not hang it
        try:
            totals = plan_all_projects(today=TODAY)
        finally:
            with connection.cursor() as ours:
                ours.execute("RESET lock_timeout")
    assert totals["projects"] == 1


def test_run_plans_a_chunk_again_after_a_deadlock(
    policy: Policy, owner: User, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = make_projects(2, policy=policy, owner=owner)
    connection.ensure_connection()
    run_pid = connection.connection.info.backend_pid
    holding_second = threading.Event()
    failures: list[BaseException] = []

    def lock_second_then_first() -> None:
        try:
            with other_transaction() as other, other.cursor() as cursor:
                # Let the run's transaction be the one PostgreSQL aborts: it waits first
                # and checks for a deadlock after 1 s (the default); this one after 60.
                cursor.execute("SET LOCAL deadlock_timeout = '60s'")
                cursor.execute(LOCK_PROJECT, [second.pk])
                holding_second.set()
                waiting = "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s"
                for _ in range(1000):
                    cursor.execute(waiting, [run_pid])
                    if cursor.fetchone() == (True,):  # the run holds the first, waits for us
                        break
                    threading.Event().wait(0.01)
                cursor.execute(LOCK_PROJECT, [first.pk])
                other.commit()
        except BaseException as error:  # reported by the test below
            failures.append(error)

    thread = threading.Thread(target=lock_second_then_first)
    thread.start()
    assert holding_second.wait(10)
    with caplog.at_level(logging.WARNING, logger="huifang.visits.planning"):
        totals = plan_all_projects(today=TODAY)
    thread.join(30)
    assert failures == []
    assert totals["projects"] == 2
    assert any("deadlock detected" in record.getMessage() for record in caplog.records)
