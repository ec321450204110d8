"""``huifang backup FILE [--format sqlite|json]``: a backup of the whole database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huifang.core.backup import FORMATS, backup_database
from huifang.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Back up the whole database to FILE: SQLite's online backup on SQLite, a portable "
        "JSON export on PostgreSQL (or anywhere with --format json)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="Where to write the backup.")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default=None,
            help="sqlite (SQLite only) or json; default: sqlite on SQLite, else json.",
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_database(
                path=options["file"], format=options["format"], using=options["database"]
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Backup written: {result.path} ({result.format}, {result.size} bytes)")
