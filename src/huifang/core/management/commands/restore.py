"""``huifang restore FILE [--replace]``: put a backup back (stop the server first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huifang.core.backup import restore_database
from huifang.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Restore a backup made by `huifang backup` (the format is read from the file). "
        "Stop `huifang serve` and the workers first. A database that already holds data "
        "is only overwritten with --replace."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup file.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Overwrite a database that already holds data.",
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore_database(
                path=options["file"], replace=options["replace"], using=options["database"]
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Restored {result.path} ({result.format}).")
        if result.kept_copy:
            self.stdout.write(f"The database as it was before: {result.kept_copy}")
