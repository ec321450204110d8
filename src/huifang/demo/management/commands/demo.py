"""``huifang demo [--reset]``: fill the database with the demo company."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils.translation import gettext as _

from huifang.demo.builder import (
    DEFAULT_DEMO_PASSWORD,
    DEMO_USERNAMES,
    build_demo,
    demo_exists,
    has_domain_data,
    reset_demo_data,
)


class Command(BaseCommand):
    help = "Fill the database with a realistic bilingual demo company."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete all domain data and the demo users first, then rebuild.",
        )

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        if not reset and demo_exists():
            # `make run` calls this every time: a second run must leave the data alone.
            self.stdout.write(
                _("Demo data already exists; nothing changed. Use --reset to rebuild it.")
            )
            self._print_logins()
            return
        if not reset and has_domain_data():
            self.stderr.write(
                _(
                    "The database already holds customers or projects; the demo is not "
                    "mixed into real data. Use --reset to replace everything with the demo."
                )
            )
            return
        started = time.monotonic()
        # One transaction: a failed rebuild leaves the previous data in place. The demo
        # customers are invented: whatever the services would e-mail them (survey
        # invitations, reminders) is dropped rather than sent or printed.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            transaction.atomic(),
        ):
            if reset:
                reset_demo_data()
            summary = build_demo()
        visits = summary.visits
        self.stdout.write(
            _(
                "Demo data built in %(seconds).1f s: %(users)d users, %(customers)d customers "
                "(%(contacts)d contacts), %(projects)d projects, %(visits)d visits "
                "(%(done)d done, %(missed)d missed, %(open)d open), %(records)d records, "
                "%(actions)d improvement actions."
            )
            % {
                "seconds": time.monotonic() - started,
                "users": summary.users,
                "customers": summary.customers,
                "contacts": summary.contacts,
                "projects": summary.projects,
                "visits": visits.total(),
                "done": visits["done"],
                "missed": visits["missed"],
                "open": visits["planned"] + visits["scheduled"],
                "records": summary.records,
                "actions": summary.actions.total(),
            }
        )
        self._print_logins()

    def _print_logins(self) -> None:
        password = settings.HUIFANG_DEMO_PASSWORD
        shown = password if password == DEFAULT_DEMO_PASSWORD else "$HUIFANG_DEMO_PASSWORD"
        self.stdout.write(
            _("Log in at http://127.0.0.1:8000/ as %(users)s — password: %(password)s")
            % {"users": ", ".join(DEMO_USERNAMES), "password": shown}
        )
