from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from huifang.projects.models import Project
from huifang.visits.planning import plan_all_projects, plan_project_visits


class Command(BaseCommand):
    help = "Plan visits from the policy: for the given project codes, or --all open projects."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="*", help="project codes to plan")
        parser.add_argument("--all", action="store_true", help="plan every open project")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            help="plan as of this date (YYYY-MM-DD); default: today in HUIFANG_TIME_ZONE",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        codes: list[str] = options["codes"]
        if options["all"] == bool(codes):
            raise CommandError("Give project codes or --all (not both).")
        started = time.perf_counter()
        if options["all"]:
            totals = plan_all_projects(today=today)
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"Planned {totals['projects']} projects in {elapsed:.1f}s: "
                f"{totals['created']} visits created, {totals['moved']} moved, "
                f"{totals['removed']} removed."
            )
            return
        projects = {p.code: p for p in Project.objects.filter(code__in=codes)}
        missing = sorted(set(codes) - set(projects))
        if missing:
            raise CommandError(f"No project with code: {', '.join(missing)}")
        for code in codes:
            result = plan_project_visits(project=projects[code], today=today)
            self.stdout.write(
                f"{code}: {len(result.created)} created, {len(result.moved)} moved, "
                f"{result.removed} removed, {result.cancelled} cancelled"
            )
