"""``huifang sweep``: run the reminder sweep once and say what it did."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huifang.notify.sweep import run_sweep


class Command(BaseCommand):
    help = "Run the notification sweep once (reminders, escalations, missed visits, digests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", type=datetime.date.fromisoformat, help="sweep as of this date (YYYY-MM-DD)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = run_sweep(today=options["date"])
        self.stdout.write(f"Sweep for {report.today}: {report.sent} notification(s) created")
        for kind, count in sorted(report.counts.items()):
            self.stdout.write(f"  {kind}: {count}")
        self.stdout.write(f"Visits marked missed: {report.missed}")
        self.stdout.write(f"Deliveries queued again: {report.requeued}")
