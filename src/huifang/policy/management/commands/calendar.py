"""``huifang calendar load --year YYYY --text FILE | --ics FILE`` and
``huifang calendar show YYYY``: the national days of a year, from the command line."""

from __future__ import annotations

import datetime
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError
from huifang.core.holiday_ics import parse_ics
from huifang.core.holiday_notice import HOLIDAY, WORKDAY, NationalDay, detect_year, parse_notice
from huifang.core.workdays import (
    SOURCE_CHINESE_CALENDAR,
    SOURCE_HOLIDAYS,
    SOURCE_NOTICE,
    chinese_calendar_covers,
)
from huifang.policy.models import NationalYear, NationalYearSource
from huifang.policy.national_days import error_message, load_national_year
from huifang.policy.queries import SOURCE_COMPANY, marked_days


class Command(BaseCommand):
    help = "Load a year's national holidays and adjusted workdays, or show a year's."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        load = commands.add_parser("load", help="load the State Council's notice or an .ics file")
        load.add_argument("--year", type=int, help="the notice's year (required with --text)")
        source = load.add_mutually_exclusive_group(required=True)
        source.add_argument("--text", type=Path, help="the notice's text, as published (UTF-8)")
        source.add_argument("--ics", type=Path, help="a holiday calendar (.ics)")
        show = commands.add_parser("show", help="print a year's holidays and adjusted workdays")
        show.add_argument("year", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "show":
            self._show(options["year"])
        elif options["text"] is not None:
            self._load_text(options["text"], options["year"])
        else:
            self._load_ics(options["ics"], options["year"])

    def _load_text(self, path: Path, year: int | None) -> None:
        text = _read(path).decode("utf-8-sig", errors="replace")
        year = year or detect_year(text)
        if year is None:
            raise CommandError(_("Say which year the notice is for (--year)."))
        parsed = parse_notice(text, year=year)
        if parsed.errors:
            raise CommandError("\n".join(error_message(error) for error in parsed.errors))
        self._load(year, parsed.days, NationalYearSource.NOTICE, text)

    def _load_ics(self, path: Path, year: int | None) -> None:
        data = _read(path)
        by_year, errors = parse_ics(data)
        if errors:
            raise CommandError("\n".join(error_message(error) for error in errors))
        years = [year] if year is not None else sorted(by_year)
        for each in years:
            if each not in by_year:
                raise CommandError(_("The file has no days of %(year)d.") % {"year": each})
            self._load(each, by_year[each], NationalYearSource.ICS, data.decode("utf-8", "replace"))

    def _load(self, year: int, days: list[NationalDay], source: str, text: str) -> None:
        try:
            result = load_national_year(
                year=year, days=days, source=source, source_text=text, user=None
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        if not result.changed:
            self.stdout.write(_("%(year)d: already loaded, nothing changed.") % {"year": year})
            return
        self.stdout.write(
            _(
                "%(year)d: %(holidays)d holidays and %(workdays)d adjusted workdays loaded; "
                "%(projects)d projects re-planned, %(moved)d visits moved, %(owners)d owners told."
            )
            % {
                "year": year,
                "holidays": sum(1 for day in days if day.kind == HOLIDAY),
                "workdays": sum(1 for day in days if day.kind == WORKDAY),
                "projects": result.projects,
                "moved": len(result.moved),
                "owners": result.notified,
            }
        )

    def _show(self, year: int) -> None:
        row = NationalYear.objects.filter(year=year).select_related("loaded_by").first()
        if row is not None:
            who = row.loaded_by.username if row.loaded_by else _("the command line")
            source = _("loaded from %(source)s by %(who)s on %(when)s") % {
                "source": row.get_source_display(),
                "who": who,
                "when": f"{row.loaded_at:%Y-%m-%d %H:%M}",
            }
        elif chinese_calendar_covers(year):
            source = _("the chinese-calendar package")
        else:
            source = _("the holidays package (no adjusted workdays)")
        self.stdout.write(_("%(year)d: %(source)s") % {"year": year, "source": source})
        labels = {HOLIDAY: _("holiday"), WORKDAY: _("adjusted workday")}
        sources = {
            SOURCE_NOTICE: _("notice"),
            SOURCE_CHINESE_CALENDAR: "chinese-calendar",
            SOURCE_HOLIDAYS: "holidays",
            SOURCE_COMPANY: _("company day"),
        }
        for day in marked_days(datetime.date(year, 1, 1), datetime.date(year, 12, 31)).values():
            self.stdout.write(
                f"{day.date.isoformat()}  {labels[day.kind]}  {day.name}  [{sources[day.source]}]"
            )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CommandError(str(error)) from error
