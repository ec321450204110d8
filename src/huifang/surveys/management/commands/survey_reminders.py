"""``huifang survey_reminders``: one reminder to contacts who have not answered."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from huifang.surveys.services import send_survey_reminders


class Command(BaseCommand):
    help = "Send one reminder for each survey invitation unanswered after the policy's days."

    def handle(self, *args: Any, **options: Any) -> None:
        count = send_survey_reminders()
        self.stdout.write(f"{count} survey reminder(s) sent")
