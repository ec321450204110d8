"""The kinds of notification: the outbox stores them (``Notification.kind``) and the
messages module words each one, so they live apart from both."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    VISIT_UPCOMING = "visit_upcoming", _("Visit due soon")
    VISIT_DUE_TODAY = "visit_due_today", _("Visit due today")
    VISIT_OVERDUE = "visit_overdue", _("Visit overdue")
    VISIT_ESCALATED_PM = "visit_escalated_pm", _("Overdue visit escalated to the project manager")
    VISIT_ESCALATED_QUALITY = (
        "visit_escalated_quality",
        _("Overdue visit escalated to quality managers"),
    )
    VISIT_MISSED = "visit_missed", _("Visit marked missed")
    VISIT_WINDOW_OPEN = "visit_window_open", _("Visit window open, not scheduled")
    ACTION_DUE_SOON = "action_due_soon", _("Action due soon")
    ACTION_OVERDUE = "action_overdue", _("Action overdue")
    WEEKLY_DIGEST = "weekly_digest", _("Weekly digest")
    PROJECT_PAST_END = "project_past_end", _("Project past its planned end")
    SURVEY_DETRACTOR = "survey_detractor", _("Unhappy customer")
    VISITS_MOVED_BY_CALENDAR = (
        "visits_moved_by_calendar",
        _("Visits moved by newly loaded national holidays"),
    )
    NATIONAL_CALENDAR_MISSING = (
        "national_calendar_missing",
        _("Next year's national holidays are not loaded"),
    )
    POLICY_PUBLISHED = "policy_published", _("New policy version to acknowledge")
