"""Improvement actions (改进措施) and their verification at later visits.

Life cycle: open → in_progress → done (awaiting verification) → verified_effective;
a verification that finds the action ineffective reopens it with a new due date
(status ``reopened``, which works like ``open``). Each verification is kept as a row,
so "how many verifications found the action effective" is a count, not a guess.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from huifang.actions.wording import word_description
from huifang.core.access import project_scope
from huifang.core.choices import ChoiceLabels
from huifang.projects.models import Project
from huifang.visits.models import Feedback, Problem, VisitRecord

if TYPE_CHECKING:
    from huifang.core.access import AnyUser


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done, awaiting verification")
    VERIFIED_EFFECTIVE = "verified_effective", _("Verified effective")
    REOPENED = "reopened", _("Reopened (not effective)")


# Statuses in which somebody still has work to do on the action.
OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.REOPENED)


class ActionOrigin(models.TextChoices):
    VISIT = "visit", _("Visit")
    PROBLEM = "problem", _("Problem")
    FEEDBACK = "feedback", _("Customer feedback")
    REVIEW = "review", _("Periodic review")
    MEETING = "meeting", _("Summary meeting")


class ImprovementActionQuerySet(models.QuerySet["ImprovementAction"]):
    def visible_to(self, user: AnyUser) -> ImprovementActionQuerySet:
        return self.filter(project_scope(user, "project"))

    def open(self) -> ImprovementActionQuerySet:
        return self.filter(status__in=OPEN_ACTION_STATUSES)

    def overdue(self, today: datetime.date) -> ImprovementActionQuerySet:
        return self.open().filter(due_date__lt=today)


class ImprovementAction(ChoiceLabels):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="actions", verbose_name=_("project")
    )
    origin = models.CharField(
        _("origin"), max_length=16, choices=ActionOrigin.choices, default=ActionOrigin.VISIT
    )
    record = models.ForeignKey(
        VisitRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("raised in record"),
    )
    problem = models.ForeignKey(
        Problem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("problem"),
    )
    feedback = models.ForeignKey(
        Feedback,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("feedback"),
    )
    description = models.TextField(_("description"))
    # A system-made action's words as a message key with parameters (actions.wording),
    # shown in the reader's language; ``description`` keeps the words in the language
    # they were made in (search, exports of older releases, the fallback).
    # NULL for people's own descriptions: a nullable column is added to a large table
    # without a default to rewrite it with (the migration linter's rule).
    description_key = models.CharField(_("description key"), max_length=60, null=True, blank=True)
    description_params = models.JSONField(_("description parameters"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_actions",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    progress_note = models.TextField(_("progress note"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.TextField(_("how it was done"), blank=True)
    closed_on = models.DateField(_("verified effective on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    revision = models.PositiveIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = ImprovementActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["done", "verified_effective"])
                | models.Q(done_on__isnull=False),
                name="action_done_has_done_on",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="verified_effective")
                | models.Q(closed_on__isnull=False),
                name="action_closed_has_closed_on",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="action_by_owner_open_due"),
            models.Index(fields=["project", "status"], name="action_by_project_status"),
            models.Index(fields=["status", "due_date"], name="action_by_status_due"),
            models.Index(fields=["status", "-closed_on", "-id"], name="action_by_status_closed"),
        ]

    def __str__(self) -> str:
        return self.shown_description[:60]

    @property
    def shown_description(self) -> str:
        return word_description(self.description_key, self.description_params, self.description)

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status in OPEN_ACTION_STATUSES and today > self.due_date


class VerificationResult(models.TextChoices):
    EFFECTIVE = "effective", _("Effective")
    NOT_EFFECTIVE = "not_effective", _("Not effective")
    NOT_YET = "not_yet", _("Not yet verifiable")


class ActionVerification(ChoiceLabels):
    """A later visit's verdict on an action (四: 在后续回访中对改进效果进行评估和验证)."""

    action = models.ForeignKey(
        ImprovementAction,
        on_delete=models.CASCADE,
        related_name="verifications",
        verbose_name=_("action"),
    )
    record = models.ForeignKey(
        VisitRecord,
        on_delete=models.CASCADE,
        related_name="verifications",
        verbose_name=_("verified in record"),
    )
    result = models.CharField(_("result"), max_length=16, choices=VerificationResult.choices)
    note = models.TextField(_("note"), blank=True)
    new_due_date = models.DateField(_("new due date"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_on = models.DateField(_("verified on"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action verification")
        verbose_name_plural = _("action verifications")
        ordering = ["action_id", "verified_on", "id"]
        constraints = [
            # One verdict per action per visit record.
            models.UniqueConstraint(
                fields=["action", "record"], name="verification_once_per_record"
            ),
            models.CheckConstraint(
                condition=~models.Q(result="not_effective") | models.Q(new_due_date__isnull=False),
                name="verification_ineffective_has_new_due",
            ),
        ]
        indexes = [models.Index(fields=["verified_on", "result"], name="verification_by_date")]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.get_result_display()}"
