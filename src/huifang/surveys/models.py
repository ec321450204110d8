"""Customer satisfaction surveys: questionnaires, invitations and their answers.

A customer never logs in. An invitation is reached through a link carrying a long
random token; only the token's SHA-256 hash is stored (:class:`SurveyLink`), so a
leaked database does not hand out answerable links. An invitation may have several
links (a resend or a reminder mints a new one, since the old token cannot be shown
again), all valid until the invitation expires, is revoked or is answered.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from huifang.core.access import project_scope
from huifang.core.models import Language
from huifang.customers.models import Contact
from huifang.policy.models import PhaseChoices
from huifang.projects.models import Project
from huifang.visits.models import Feedback, Visit

if TYPE_CHECKING:
    from huifang.core.access import AnyUser


class Questionnaire(models.Model):
    """One published version of the questions asked after visits of a phase (blank
    phase: any phase without its own). Versions are never edited: a change is a new
    number, so every invitation keeps the exact questions its contact saw."""

    phase = models.CharField(
        _("phase"), max_length=16, choices=PhaseChoices.choices, blank=True, default=""
    )
    number = models.PositiveIntegerField(_("version number"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    change_note = models.CharField(_("change note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["phase", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "number"], name="questionnaire_version"),
        ]

    def __str__(self) -> str:
        phase = self.get_phase_display() if self.phase else _("Any phase")
        return f"{phase} v{self.number}"

    def title(self, language: str) -> str:
        return self.title_en if language == Language.EN else self.title_zh

    def intro(self, language: str) -> str:
        return self.intro_en if language == Language.EN else self.intro_zh


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Rating 1–5")
    RECOMMEND = "recommend", _("Likelihood to recommend 0–10")
    CHOICE = "choice", _("Single choice")
    TEXT = "text", _("Free text")


class FeedbackField(models.TextChoices):
    """Where an answer lands in the visit's Feedback (blank: only in the answers)."""

    NONE = "", _("Not stored in feedback")
    OVERALL = "overall_satisfaction", _("Overall satisfaction")
    QUALITY = "quality_satisfaction", _("Quality")
    SCHEDULE = "schedule_satisfaction", _("Schedule")
    COMMUNICATION = "communication_satisfaction", _("Communication")
    SERVICE = "service_satisfaction", _("Service")
    RECOMMEND = "likelihood_to_recommend", _("Likelihood to recommend")
    EVALUATION = "evaluation", _("Evaluation of the results")
    SUGGESTIONS = "suggestions", _("Suggestions")
    REQUIREMENTS = "requirement_changes", _("New or changed requirements")


class Question(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("questionnaire"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    key = models.SlugField(_("key"), max_length=40)
    kind = models.CharField(_("type"), max_length=16, choices=QuestionKind.choices)
    required = models.BooleanField(_("required"), default=True)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300)
    # Single choice options: [{"value": "...", "zh": "...", "en": "..."}, ...]
    options = models.JSONField(_("options"), default=list, blank=True)
    maps_to = models.CharField(
        _("stored in feedback as"),
        max_length=32,
        choices=FeedbackField.choices,
        blank=True,
        default="",
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["questionnaire_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="question_key_unique"),
        ]

    def __str__(self) -> str:
        return self.text_en

    def text(self, language: str) -> str:
        return self.text_en if language == Language.EN else self.text_zh


class SurveyInvitationQuerySet(models.QuerySet["SurveyInvitation"]):
    def visible_to(self, user: AnyUser) -> SurveyInvitationQuerySet:
        return self.filter(project_scope(user, "project"))

    def sent(self) -> SurveyInvitationQuerySet:
        return self.filter(sent_at__isnull=False)

    def awaiting_answer(self, now: datetime.datetime) -> SurveyInvitationQuerySet:
        return self.filter(responded_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class InvitationState(models.TextChoices):
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class SurveyInvitation(models.Model):
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("project"),
    )
    visit = models.ForeignKey(
        Visit,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("visit"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        related_name="survey_invitations",
        verbose_name=_("contact"),
    )
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("questionnaire"),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    # Null for the automatic invitation after a visit of the policy's phase.
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    reminder_days = models.PositiveSmallIntegerField(_("remind after days"), default=5)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = SurveyInvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Inviting the same contact twice to the same visit's survey is a resend,
            # not a second invitation (and makes the automatic invitation idempotent).
            models.UniqueConstraint(
                fields=["visit", "contact"],
                condition=models.Q(revoked_at__isnull=True),
                name="survey_invitation_one_open_per_contact",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "sent_at"], name="survey_inv_by_project_sent"),
            models.Index(
                fields=["responded_at", "reminded_at", "sent_at"], name="survey_inv_reminder_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} · {self.visit}"

    def state(self, now: datetime.datetime | None = None) -> InvitationState:
        now = now or timezone.now()
        if self.responded_at is not None:
            return InvitationState.ANSWERED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.expires_at <= now:
            return InvitationState.EXPIRED
        if self.opened_at is not None:
            return InvitationState.OPENED
        return InvitationState.SENT

    def get_state_display(self) -> str:
        return str(self.state().label)

    @property
    def is_open(self) -> bool:
        return self.state() in {InvitationState.SENT, InvitationState.OPENED}


class SurveyLink(models.Model):
    """A token that opens an invitation; only its SHA-256 hash is kept."""

    invitation = models.ForeignKey(
        SurveyInvitation,
        on_delete=models.CASCADE,
        related_name="links",
        verbose_name=_("invitation"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")
        ordering = ["invitation_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.invitation_id}:{self.token_hash[:8]}"


class SurveyResponse(models.Model):
    """The one answer to an invitation; its scores live in ``feedback``."""

    invitation = models.OneToOneField(
        SurveyInvitation,
        on_delete=models.CASCADE,
        related_name="response",
        verbose_name=_("invitation"),
    )
    feedback = models.OneToOneField(
        Feedback,
        on_delete=models.PROTECT,
        related_name="survey_response",
        verbose_name=_("feedback"),
    )
    # Every answer by question key, including questions not stored in Feedback.
    answers = models.JSONField(_("answers"), default=dict)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.invitation} @ {self.submitted_at:%Y-%m-%d}"
