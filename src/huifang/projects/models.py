"""Projects (项目), their teams and their hold periods."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from huifang.core.access import project_scope
from huifang.core.choices import ChoiceLabels
from huifang.core.plan_enums import Cadence, ProjectStatus
from huifang.customers.models import Contact, Customer
from huifang.policy.models import Policy

if TYPE_CHECKING:
    from huifang.core.access import AnyUser


class ProjectStatusChoices(models.TextChoices):
    PLANNED = ProjectStatus.PLANNED.value, _("Planned")
    ACTIVE = ProjectStatus.ACTIVE.value, _("Active")
    ON_HOLD = ProjectStatus.ON_HOLD.value, _("On hold")
    COMPLETED = ProjectStatus.COMPLETED.value, _("Completed")
    CANCELLED = ProjectStatus.CANCELLED.value, _("Cancelled")


class CadenceChoices(models.TextChoices):
    BIWEEKLY = Cadence.BIWEEKLY.value, _("Every two weeks")
    MONTHLY = Cadence.MONTHLY.value, _("Every month")


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, user: AnyUser) -> ProjectQuerySet:
        return self.filter(project_scope(user))


class Project(ChoiceLabels):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="projects", verbose_name=_("customer")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_projects",
        verbose_name=_("project manager"),
    )
    department = models.CharField(_("department"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProjectStatusChoices.choices,
        default=ProjectStatusChoices.PLANNED,
    )
    cadence = models.CharField(
        _("visit cadence"),
        max_length=16,
        choices=CadenceChoices.choices,
        default=CadenceChoices.MONTHLY,
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="projects", verbose_name=_("policy")
    )
    default_contacts = models.ManyToManyField(
        Contact, blank=True, related_name="default_for_projects", verbose_name=_("default contacts")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-planned_start", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__isnull=True)
                | models.Q(planned_end__gte=models.F("planned_start")),
                name="project_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(actual_end__isnull=True)
                | models.Q(actual_start__isnull=True)
                | models.Q(actual_end__gte=models.F("actual_start")),
                name="project_actual_end_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(actual_end__isnull=False),
                name="project_completed_has_actual_end",
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "status"], name="project_by_manager_status"),
            models.Index(fields=["customer", "status"], name="project_by_customer_status"),
            models.Index(fields=["status", "planned_start"], name="project_by_status_start"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def start(self) -> datetime.date:
        """The date visits are planned from: actual start, else planned start."""
        return self.actual_start or self.planned_start

    @property
    def end(self) -> datetime.date | None:
        return self.actual_end or self.planned_end


class Membership(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("project")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="project_memberships",
        verbose_name=_("user"),
    )
    responsibility = models.CharField(_("responsibility"), max_length=120, blank=True)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["project_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "project"], name="membership_by_user")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.project}"


class ProjectHold(models.Model):
    """A period the project was on hold; ``ended_on`` is the day work resumed."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="holds", verbose_name=_("project")
    )
    started_on = models.DateField(_("on hold from"))
    ended_on = models.DateField(_("resumed on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("hold period")
        verbose_name_plural = _("hold periods")
        ordering = ["project_id", "started_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="project_hold_ends_after_start",
            ),
            # At most one open hold per project.
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(ended_on__isnull=True),
                name="project_hold_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.started_on} – {self.ended_on or '…'}"
