"""A restored backup, or an upgraded database, does not tell anyone again what they
were already told.

A JSON backup leaves content types out (``migrate`` rebuilds them), so a database
restored on another machine, or migrated afresh, numbers them differently. The
notifications' idempotency keys must therefore not depend on those numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from huifang.core.models import User
from huifang.notify.models import Notification
from huifang.notify.sweep import run_sweep
from huifang.visits.models import Visit
from tests.notify.conftest import local

pytestmark = pytest.mark.django_db(transaction=True)

SWEEP_DAYS = ["2026-03-02", "2026-03-06", "2026-03-09", "2026-03-12", "2026-03-16"]


def _number_content_types_differently() -> None:
    """Give this database content-type ids a fresh migration would not give: the ids
    of a database that grew over many releases (apps added along the way)."""
    ContentType.objects.all().delete()
    ContentType.objects.clear_cache()
    for number in range(7):
        ContentType.objects.create(app_label="retired", model=f"model{number}")
    call_command("migrate", interactive=False, verbosity=0)  # recreates the real ones
    ContentType.objects.clear_cache()


def _sweep_days() -> None:
    for day in SWEEP_DAYS:
        with time_machine.travel(local(day), tick=False):
            run_sweep()


def test_json_restore_into_a_new_database_sends_no_reminder_again(
    kickoff: Visit, quality: User, tmp_path: Path
) -> None:
    _number_content_types_differently()
    visit_type_before = ContentType.objects.get_for_model(Visit).pk
    _sweep_days()
    told = _told()
    assert len(told) >= 5

    target = tmp_path / "huifang.json"
    call_command("backup", str(target), "--format", "json", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)  # a new, migrated database
    call_command("restore", str(target), verbosity=0)
    ContentType.objects.clear_cache()
    # The scenario is real: the restored database numbers the visit model differently.
    assert ContentType.objects.get_for_model(Visit).pk != visit_type_before
    assert _told() == told

    _sweep_days()
    assert _told() == told


def _told() -> list[tuple[str, str, str]]:
    return sorted(Notification.objects.values_list("kind", "recipient__username", "occasion"))


def _migrate(*targets: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())


def test_upgrade_rewrites_stored_keys_so_todays_reminders_are_not_sent_again(
    kickoff: Visit, quality: User
) -> None:
    _sweep_days()
    told = _told()
    new_keys = sorted(Notification.objects.values_list("idempotency_key", flat=True))
    try:
        _migrate(("notify", "0002_historicalwebhookendpoint"))
        # The database as the previous release left it: keys made with the type's id.
        # (Only the columns that existed then: later migrations added others.)
        rows = Notification.objects.values_list("pk", "idempotency_key", "subject_type_id")
        for pk, key, type_id in list(rows):
            kind, _name, rest = key.split(":", 2)
            Notification.objects.filter(pk=pk).update(idempotency_key=f"{kind}:{type_id}:{rest}")
        old_keys = sorted(Notification.objects.values_list("idempotency_key", flat=True))
        assert old_keys != new_keys
        assert all(key.split(":")[1].isdigit() for key in old_keys)
    finally:
        _migrate()
    assert sorted(Notification.objects.values_list("idempotency_key", flat=True)) == new_keys
    assert new_keys[0].split(":")[1] in {"visits.visit", "projects.project"}
    _sweep_days()
    assert _told() == told
