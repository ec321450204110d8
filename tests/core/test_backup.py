"""`huifang backup` / `huifang restore`: a round trip of the demo data gives back every
row of every table, on SQLite (online backup API) and on any database (JSON export)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, models
from django.utils import translation

from huifang.core.backup import JSON_EXCLUDED
from huifang.core.models import User
from huifang.projects.models import Project

pytestmark = pytest.mark.django_db(transaction=True)

requires_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the sqlite format needs the SQLite database"
)


def _excluded(model: type[models.Model]) -> bool:
    meta = model._meta
    return meta.app_label in JSON_EXCLUDED or meta.label_lower in JSON_EXCLUDED


def _natural(value: Any, target: Any) -> Any:
    """Content types and permissions are rebuilt by migrate with other ids: compare
    references to them by natural key."""
    if value is None:
        return None
    if target is ContentType:
        return ContentType.objects.get_for_id(value).natural_key()
    if target is Permission:
        return Permission.objects.get(pk=value).natural_key()
    return value


def snapshot(*, skip_excluded: bool) -> dict[str, list[str]]:
    """Every row of every table: {model label: sorted repr of each row's values}."""
    ContentType.objects.clear_cache()
    tables: dict[str, list[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or (skip_excluded and _excluded(model)):
            continue
        if meta.label_lower in ("core.dataversion", "core.monthversion"):
            continue  # not data: a restore renews them on purpose (test_dataversion.py)
        relations = {
            field.attname: field.related_model
            for field in meta.concrete_fields
            if field.is_relation and field.related_model in (ContentType, Permission)
        }
        rows = []
        for row in model._base_manager.values():
            for attname, target in relations.items():
                row[attname] = _natural(row[attname], target)
            if meta.auto_created:
                # A many-to-many link row is its pair of ids; Django's serialisation
                # recreates the links with new surrogate ids.
                del row["id"]
            rows.append(repr(sorted(row.items())))
        tables[meta.label] = sorted(rows)
    return tables


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _remove_kept_copies() -> Iterator[None]:
    """A SQLite restore keeps the replaced database beside it; tests clean up."""
    live = Path(connection.settings_dict["NAME"])
    before = set(live.parent.glob(live.name + ".before-restore-*"))
    yield
    for kept in set(live.parent.glob(live.name + ".before-restore-*")) - before:
        kept.unlink()


def wipe() -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert User.objects.count() == 0


@pytest.fixture
def demo(db: None) -> dict[str, list[str]]:
    call_command("demo", verbosity=0)
    assert Project.objects.count() > 0
    return snapshot(skip_excluded=False)


@requires_sqlite
def test_sqlite_backup_round_trip_gives_back_every_row(
    demo: dict[str, list[str]], tmp_path: Path
) -> None:
    target = tmp_path / "huifang.sqlite3"
    call_command("backup", str(target), verbosity=0)
    assert target.read_bytes()[:16] == b"SQLite format 3\x00"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["huifang.sqlite3"]
    wipe()
    assert snapshot(skip_excluded=False) != demo
    call_command("restore", str(target), verbosity=0)
    assert snapshot(skip_excluded=False) == demo


def test_json_backup_round_trip_gives_back_every_row(
    demo: dict[str, list[str]], tmp_path: Path
) -> None:
    target = tmp_path / "huifang.backup"  # the format is read from the content
    call_command("backup", str(target), "--format", "json", verbosity=0)
    expected = snapshot(skip_excluded=True)
    wipe()
    call_command("restore", str(target), verbosity=0)
    assert snapshot(skip_excluded=True) == expected
    # The restored users can log in with their passwords, sequences continue after them.
    assert User.objects.create(username="after-restore").pk > max(
        User.objects.exclude(username="after-restore").values_list("pk", flat=True)
    )


def test_restore_refuses_a_database_holding_data(
    demo: dict[str, list[str]], tmp_path: Path
) -> None:
    target = tmp_path / "backup.json"
    call_command("backup", str(target), "--format", "json", verbosity=0)
    Project.objects.filter(code=Project.objects.first().code).update(name="Changed")  # type: ignore[union-attr]
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(target), verbosity=0)
    call_command("restore", str(target), "--replace", verbosity=0)
    assert snapshot(skip_excluded=True) == {
        label: rows for label, rows in demo.items() if label in snapshot(skip_excluded=True)
    }


def test_restore_refuses_a_file_that_is_no_backup(db: None, tmp_path: Path) -> None:
    target = tmp_path / "notes.sqlite3"
    target.write_text("hello")
    with pytest.raises(CommandError, match="is not a Huifang backup file"):
        call_command("restore", str(target), verbosity=0)


def test_json_restore_of_a_broken_file_changes_nothing(
    demo: dict[str, list[str]], tmp_path: Path
) -> None:
    target = tmp_path / "backup.json"
    call_command("backup", str(target), "--format", "json", verbosity=0)
    target.write_text(target.read_text()[: len(target.read_text()) // 2])
    before = snapshot(skip_excluded=True)
    with pytest.raises(Exception, match=r"(?i)json|fixture|expecting|unterminated"):
        call_command("restore", str(target), "--replace", verbosity=0)
    assert snapshot(skip_excluded=True) == before


@requires_sqlite
def test_sqlite_restore_keeps_a_copy_of_the_database_it_replaces(
    demo: dict[str, list[str]], tmp_path: Path
) -> None:
    target = tmp_path / "backup.sqlite3"
    call_command("backup", str(target), verbosity=0)
    live = Path(connection.settings_dict["NAME"])
    before = set(live.parent.glob(live.name + ".before-restore-*"))
    call_command("restore", str(target), "--replace", verbosity=0)
    kept = set(live.parent.glob(live.name + ".before-restore-*")) - before
    assert len(kept) == 1
    assert snapshot(skip_excluded=False) == demo
