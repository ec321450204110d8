"""Evaluation records: periodic reviews with frozen figures, summary meetings, policy
acknowledgements, training sessions and staff suggestions on the policy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from huifang.actions.models import ImprovementAction
from huifang.customers.models import Customer
from huifang.policy.models import PhaseChoices, Policy, PolicyVersion
from huifang.projects.models import Project


class Review(models.Model):
    """A periodic review (回访效果评估). ``metrics`` is the figures of :mod:`metrics`
    as they were when the review was opened; it never changes afterwards."""

    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project"),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project manager"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    department = models.CharField(_("department"), max_length=80, blank=True)
    phase = models.CharField(_("phase"), max_length=16, choices=PhaseChoices.choices, blank=True)
    metrics = models.JSONField(_("frozen figures"), default=dict)
    findings = models.TextField(_("findings"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    actions = models.ManyToManyField(
        ImprovementAction, blank=True, related_name="reviews", verbose_name=_("actions")
    )
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resulting policy version"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="review_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period_start} – {self.period_end})"


class Meeting(models.Model):
    """A summary meeting (总结会议); its action items are improvement actions."""

    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("attendees")
    )
    minutes = models.TextField(_("minutes"), blank=True)
    review = models.ForeignKey(
        Review,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("review"),
    )
    actions = models.ManyToManyField(
        ImprovementAction, blank=True, related_name="meetings", verbose_name=_("action items")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


class PolicyAcknowledgement(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="policy_acknowledgements",
        verbose_name=_("user"),
    )
    version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.CASCADE,
        related_name="acknowledgements",
        verbose_name=_("policy version"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy acknowledgement")
        verbose_name_plural = _("policy acknowledgements")
        ordering = ["version_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="acknowledgement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.version}"


class TrainingSession(models.Model):
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("trainer"),
    )
    notes = models.TextField(_("notes"), blank=True)
    attendees: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TrainingAttendance",
        related_name="trainings",
        verbose_name=_("attendees"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.topic}"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(
        TrainingSession,
        on_delete=models.CASCADE,
        related_name="attendance",
        verbose_name=_("training session"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("attendee"),
    )
    score = models.PositiveSmallIntegerField(
        _("assessment score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["session_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__lte=100),
                name="attendance_score_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.session}"


class SuggestionStatus(models.TextChoices):
    # Not the "Open" of actions (未开始): a suggestion waits for an answer.
    OPEN = "open", pgettext_lazy("suggestion status", "Open")
    ADOPTED = "adopted", _("Adopted")
    DECLINED = "declined", _("Declined")


class Suggestion(models.Model):
    """A staff member's suggestion to change the policy, and the answer to it."""

    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="suggestions", verbose_name=_("policy")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("suggestion"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SuggestionStatus.choices,
        default=SuggestionStatus.OPEN,
    )
    response = models.TextField(_("response"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:60]
