"""The follow-up policy (回访制度), published as immutable numbered versions.

A version holds everything the rest of the product reads from "the policy": the visit
rules the schedule engine turns into visits, the working-day calendar, reminder and
escalation timing, survey expiry and the targets management measures against. A
revision is a new version with a change note and an effective date, so every visit
can say which version planned it and old figures stay explainable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from huifang.core.plan_enums import Anchor, Phase


class PhaseChoices(models.TextChoices):
    KICKOFF = Phase.KICKOFF.value, _("Kickoff")
    ONGOING = Phase.ONGOING.value, _("Ongoing")
    CLOSING = Phase.CLOSING.value, _("Closing")
    AFTERCARE = Phase.AFTERCARE.value, _("Aftercare")


class AnchorChoices(models.TextChoices):
    START = Anchor.START.value, _("Project start")
    END = Anchor.END.value, _("Project end")


class CalendarChoices(models.TextChoices):
    NONE = "none", _("Every day is a working day")
    WEEKENDS = "weekends", _("Weekends off")
    CHINA = "china", _("China statutory holidays and adjusted workdays")


class Policy(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default for new projects"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="policy_single_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PolicyVersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PublishedVersionError(Exception):
    """Raised when code tries to change a published policy version."""


class PolicyVersionQuerySet(models.QuerySet["PolicyVersion"]):
    def published(self) -> PolicyVersionQuerySet:
        return self.filter(status=PolicyVersionStatus.PUBLISHED)


_ratio = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class PolicyVersion(models.Model):
    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="versions", verbose_name=_("policy")
    )
    number = models.PositiveIntegerField(_("version number"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PolicyVersionStatus.choices,
        default=PolicyVersionStatus.DRAFT,
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    change_note = models.TextField(_("change note"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    # Working days
    calendar = models.CharField(
        _("working-day calendar"),
        max_length=16,
        choices=CalendarChoices.choices,
        default=CalendarChoices.CHINA,
    )
    # Schedule tuning
    ongoing_clearance_days = models.PositiveSmallIntegerField(
        _("no ongoing visit this many days before the end"), default=7
    )
    rolling_horizon_days = models.PositiveSmallIntegerField(
        _("plan open-ended projects this many days ahead"), default=180
    )
    # Reminders and escalation
    reminder_lead_days = models.PositiveSmallIntegerField(_("remind days before due"), default=3)
    escalate_to_manager_days = models.PositiveSmallIntegerField(
        _("escalate to the project manager after days overdue"), default=3
    )
    escalate_to_quality_days = models.PositiveSmallIntegerField(
        _("escalate to quality managers after days overdue"), default=7
    )
    missed_grace_days = models.PositiveSmallIntegerField(
        _("mark missed after days overdue"), default=14
    )
    # Surveys
    survey_expiry_days = models.PositiveSmallIntegerField(_("survey link valid days"), default=14)
    survey_reminder_days = models.PositiveSmallIntegerField(
        _("remind unanswered survey after days"), default=5
    )
    survey_after_phase = models.CharField(
        _("invite to survey after"),
        max_length=16,
        choices=PhaseChoices.choices,
        blank=True,
        default=PhaseChoices.CLOSING,
    )
    # Targets
    target_on_time_rate = models.DecimalField(
        _("target on-time rate"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.900"),
        validators=_ratio,
    )
    target_csat = models.DecimalField(
        _("target CSAT (0-100)"), max_digits=5, decimal_places=1, default=Decimal("85.0")
    )
    target_nps = models.DecimalField(
        _("target NPS (-100-100)"), max_digits=5, decimal_places=1, default=Decimal("30.0")
    )
    target_action_closure_days = models.PositiveSmallIntegerField(
        _("target days to close an action"), default=30
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = PolicyVersionQuerySet.as_manager()

    # The status as loaded from the database (None for a new instance); see save().
    _stored_status: str | None = None

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["policy_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number"),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | models.Q(effective_from__isnull=False, published_at__isnull=False),
                name="policy_version_published_has_dates",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    escalate_to_quality_days__gte=models.F("escalate_to_manager_days")
                ),
                name="policy_version_escalation_ladder_ordered",
            ),
        ]
        indexes = [
            models.Index(
                fields=["policy", "status", "-effective_from"], name="policy_version_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Immutability is a data-integrity rule, not a workflow, so it is enforced
        # here where no code path can get around it: a version that was published
        # when loaded can never be written again.
        if getattr(self, "_stored_status", None) == PolicyVersionStatus.PUBLISHED:
            raise PublishedVersionError(f"{self} is published and cannot be changed")
        super().save(*args, **kwargs)
        self._stored_status = self.status

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> PolicyVersion:
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.status
        return instance

    @property
    def is_published(self) -> bool:
        return self.status == PolicyVersionStatus.PUBLISHED


class VisitRule(models.Model):
    """One phase of the visit plan. For the ongoing phase only its presence matters:
    the recurrence follows the project's cadence from the kickoff due date."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="rules", verbose_name=_("version")
    )
    phase = models.CharField(_("phase"), max_length=16, choices=PhaseChoices.choices)
    anchor = models.CharField(_("anchor"), max_length=8, choices=AnchorChoices.choices)
    offset_days = models.SmallIntegerField(_("offset days"), default=0)
    window_days = models.PositiveSmallIntegerField(_("window days"), default=7)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        ordering = ["version_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "phase"], name="visit_rule_one_per_phase"),
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} ({self.version})"


class ChecklistItem(models.Model):
    """What a visit of a phase must confirm, e.g. kickoff: goals and plan agreed."""

    version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.CASCADE,
        related_name="checklist_items",
        verbose_name=_("version"),
    )
    phase = models.CharField(_("phase"), max_length=16, choices=PhaseChoices.choices)
    key = models.SlugField(_("key"), max_length=40)
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["version_id", "phase", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "phase", "key"], name="checklist_item_key_per_phase"
            ),
        ]

    def __str__(self) -> str:
        return self.label_en


class CompanyDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Company holiday")
    WORKDAY = "workday", _("Company working day")


class CompanyDay(models.Model):
    """A company's own exception to the statutory calendar, shared by all versions."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=CompanyDayKind.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("company day")
        verbose_name_plural = _("company days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class NationalYearSource(models.TextChoices):
    NOTICE = "notice", _("The State Council's notice (pasted text)")
    ICS = "ics", _("Calendar file (.ics)")


class NationalYear(models.Model):
    """A year's national holidays and adjusted workdays (调休), loaded from the State
    Council's notice because the calendar libraries have no data for it yet.

    The days are kept on the row (a list of ``{"date", "kind", "name"}``) rather than
    as child rows so that the audit history of the row is the history of the year:
    every load shows who loaded which days from which text, and a re-load that
    changes one day is one historical row with both versions."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    days = models.JSONField(_("days"), default=list)
    source = models.CharField(_("source"), max_length=8, choices=NationalYearSource.choices)
    source_text = models.TextField(_("source text"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    loaded_at = models.DateTimeField(_("loaded at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("national calendar year")
        verbose_name_plural = _("national calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
