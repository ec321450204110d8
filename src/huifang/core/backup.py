"""Backup and restore of the whole database (``huifang backup`` / ``huifang restore``).

Two formats:

- ``sqlite``: on the embedded SQLite database, a consistent copy of the live file made
  with SQLite's online backup API (readers and writers may keep working meanwhile).
  Restore copies the pages back into the live database through the same API, inside
  SQLite's own locking, after keeping a copy of the current file beside it.
- ``json``: on any database (the default on PostgreSQL), a portable export of every
  row of every application (Django's serialisation with natural foreign keys, so it
  can be loaded into a database whose content-type ids differ). Restore loads it, in
  one transaction, into a migrated database that holds no data yet (or that the
  operator asked to wipe). For PostgreSQL, ``pg_dump`` remains the tool for large
  databases; docs/operations.md gives the commands.

Both write to a temporary file beside the target and rename it, so an interrupted
backup never leaves a truncated file under the requested name.
"""

from __future__ import annotations

import datetime
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from huifang.core import dataversion
from huifang.core.errors import DomainError

SQLITE_MAGIC = b"SQLite format 3\x00"
FORMATS = ("sqlite", "json")
# Not data: rebuilt by `migrate` (content types, permissions), short-lived (sessions) or
# login-attempt bookkeeping that must not lock anyone out after a restore (axes), or
# the cache keys of computed figures, renewed by every restore (core.dataversion,
# core.monthversion), or
# rate-limit counts (core.ratecount: minutes long, like the axes rows).
JSON_EXCLUDED = (
    "contenttypes",
    "auth.permission",
    "sessions",
    "axes",
    "core.dataversion",
    "core.monthversion",
    "core.ratecount",
)
# Models whose rows do not count when deciding whether a database is empty.
_NOT_DATA_APPS = {"contenttypes", "sessions", "axes"}
_NOT_DATA_MODELS = {"auth.permission", "core.dataversion", "core.monthversion", "core.ratecount"}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    format: str
    size: int


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    format: str
    kept_copy: Path | None  # the live SQLite file as it was before the restore


def default_format(using: str = DEFAULT_DB_ALIAS) -> str:
    return "sqlite" if connections[using].vendor == "sqlite" else "json"


def detect_format(path: Path) -> str:
    """The format of a backup file, from its content (never from its name)."""
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.lstrip()[:1] in (b"[", b"{"):
        return "json"
    raise DomainError(_("%(path)s is not a Huifang backup file.") % {"path": path})


def backup_database(
    *, path: Path, format: str | None = None, using: str = DEFAULT_DB_ALIAS
) -> BackupResult:
    """Write a backup of the whole database to ``path`` (replacing it atomically)."""
    fmt = format or default_format(using)
    if fmt not in FORMATS:
        raise DomainError(_("Unknown backup format %(format)s.") % {"format": fmt})
    if fmt == "sqlite" and connections[using].vendor != "sqlite":
        raise DomainError(_("The sqlite format needs the SQLite database; use json (or pg_dump)."))
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".huifang-backup-", dir=path.parent)
    os.close(handle)
    try:
        if fmt == "sqlite":
            _sqlite_backup(Path(temporary), using)
        else:
            _json_backup(Path(temporary), using)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return BackupResult(path=path, format=fmt, size=path.stat().st_size)


def _sqlite_backup(target: Path, using: str) -> None:
    connection = connections[using]
    connection.ensure_connection()
    source = connection.connection
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
        # One self-contained file: no -wal / -shm companions beside the backup.
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()


class _FullPrecisionEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps the microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _json_models() -> list[type[Model]]:
    app_list = [(config, None) for config in apps.get_app_configs() if config.models_module]
    ordered = serializers.sort_dependencies(app_list, allow_cycles=True)
    return [
        model
        for model in ordered
        if not model._meta.proxy
        and model._meta.managed
        and model._meta.app_label not in JSON_EXCLUDED
        and model._meta.label_lower not in JSON_EXCLUDED
    ]


def _json_backup(target: Path, using: str) -> None:
    # dumpdata's own loop, with an encoder that keeps full time precision.
    def rows() -> Iterator[Model]:
        for model in _json_models():
            queryset = model._base_manager.using(using).order_by(model._meta.pk.name)
            yield from queryset.iterator()

    with target.open("w", encoding="utf-8") as output:
        serializers.serialize(
            "json",
            rows(),
            stream=output,
            use_natural_foreign_keys=True,
            indent=1,
            cls=_FullPrecisionEncoder,
        )


def database_has_data(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether any application table holds a row (users, projects, ...)."""
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.app_label in _NOT_DATA_APPS:
            continue
        if meta.label_lower in _NOT_DATA_MODELS:
            continue
        if model._base_manager.using(using).exists():
            return True
    return False


def restore_database(
    *, path: Path, replace: bool = False, using: str = DEFAULT_DB_ALIAS
) -> RestoreResult:
    """Restore the backup at ``path`` into the configured database.

    A database that already holds data is only overwritten with ``replace=True``.
    Stop `huifang serve` and the workers first: requests running during a restore
    would see the data change under them.
    """
    path = path.resolve()
    if not path.is_file():
        raise DomainError(_("Backup file %(path)s does not exist.") % {"path": path})
    fmt = detect_format(path)
    if fmt == "sqlite":
        if connections[using].vendor != "sqlite":
            raise DomainError(_("This is a SQLite backup; the configured database is not SQLite."))
        _check_sqlite_backup(path)
    call_command("migrate", database=using, interactive=False, verbosity=0)
    if database_has_data(using) and not replace:
        raise DomainError(
            _(
                "The database already holds data. Restore into an empty database, "
                "or pass --replace to overwrite everything in it."
            )
        )
    if fmt == "sqlite":
        kept = _sqlite_restore(path, using)
        # Content-type ids are cached per process; the restored table may differ.
        ContentType.objects.clear_cache()
        # A backup from an older release is brought up to this release's schema.
        call_command("migrate", database=using, interactive=False, verbosity=0)
        dataversion.renew(using)
        return RestoreResult(path=path, format=fmt, kept_copy=kept)
    _json_restore(path, using)
    ContentType.objects.clear_cache()
    dataversion.renew(using)
    return RestoreResult(path=path, format=fmt, kept_copy=None)


def _check_sqlite_backup(path: Path) -> None:
    """Refuse a damaged file, or one written by a newer Huifang than this one."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as backup:
            (status,) = backup.execute("PRAGMA integrity_check").fetchone()
            rows = backup.execute("SELECT app, name FROM django_migrations").fetchall()
    except sqlite3.DatabaseError as error:
        raise DomainError(
            _("%(path)s is not a readable Huifang backup (%(error)s).")
            % {"path": path, "error": error}
        ) from error
    if status != "ok":
        raise DomainError(_("%(path)s is damaged: %(status)s") % {"path": path, "status": status})
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(f"{app}.{name}" for app, name in rows if (app, name) not in known)
    if unknown:
        raise DomainError(
            _("The backup comes from a newer Huifang (unknown migrations: %(names)s).")
            % {"names": ", ".join(unknown[:5])}
        )


def _sqlite_restore(path: Path, using: str) -> Path | None:
    connection = connections[using]
    live = Path(connection.settings_dict["NAME"])
    kept: Path | None = None
    if live.is_file():
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        kept = live.with_name(f"{live.name}.before-restore-{stamp}")
        _sqlite_backup(kept, using)
    connection.ensure_connection()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source:
        source.backup(connection.connection)
    return kept


def _json_restore(path: Path, using: str) -> None:
    # loaddata picks the deserialiser from the file name, so give it one it knows.
    with tempfile.TemporaryDirectory(prefix="huifang-restore-") as folder:
        fixture = Path(folder) / "backup.json"
        shutil.copyfile(path, fixture)
        # Wipe and load in one transaction: a file that fails to load changes nothing.
        with transaction.atomic(using=using):
            call_command("flush", database=using, interactive=False, verbosity=0)
            call_command("loaddata", str(fixture), database=using, verbosity=0)
