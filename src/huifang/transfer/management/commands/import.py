"""``huifang import FILE --kind customers|contacts|projects [--dry-run] [--user NAME]``:
the same all-or-nothing import as the page, as an administrator by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huifang.core.errors import DomainError
from huifang.core.models import Role, User
from huifang.transfer import importers


class Command(BaseCommand):
    help = "Import customers, contacts or projects from .xlsx or .csv (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=sorted(importers.ROW_IMPORTERS))
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--user", default="", help="import as this user (default: an admin)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        user = self._user(options["user"])
        try:
            report = importers.run_import(
                kind=options["kind"],
                content=path.read_bytes(),
                user=user,
                dry_run=options["dry_run"],
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        for row in report.rows:
            for message in row.errors:
                self.stderr.write(f"row {row.line} ({row.label}): {message}")
        if not report.ok:
            raise CommandError(f"{report.error_count} row(s) have errors; nothing imported.")
        verb = "would create" if options["dry_run"] else "created"
        self.stdout.write(f"{verb} {report.created}, updated {report.updated}.")

    def _user(self, name: str) -> User:
        if name:
            user = User.objects.filter(username=name).first()
        else:
            user = (
                User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
                or User.objects.filter(is_active=True, role=Role.ADMIN).order_by("pk").first()
            )
        if user is None:
            raise CommandError("No such user (create an administrator first).")
        return user
