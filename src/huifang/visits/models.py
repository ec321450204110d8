"""Visits (回访) and what they found: records, problems and customer feedback."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from huifang.core.access import project_scope
from huifang.core.choices import ChoiceLabels
from huifang.customers.models import Contact
from huifang.policy.models import PhaseChoices, PolicyVersion
from huifang.projects.models import Project

if TYPE_CHECKING:
    from huifang.core.access import AnyUser


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_VISIT_STATUSES = (VisitStatus.PLANNED, VisitStatus.SCHEDULED)


class VisitForm(models.TextChoices):
    FACE_TO_FACE = "face_to_face", _("Face to face")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    ONLINE = "online", _("Online meeting")


class VisitQuerySet(models.QuerySet["Visit"]):
    def visible_to(self, user: AnyUser) -> VisitQuerySet:
        return self.filter(project_scope(user, "project"))

    def open(self) -> VisitQuerySet:
        return self.filter(status__in=OPEN_VISIT_STATUSES)

    def overdue(self, today: datetime.date) -> VisitQuerySet:
        """Overdue is derived, never stored: still open after its due date."""
        return self.open().filter(due_date__lt=today)


def visit_name(*, phase: str, sequence: int | None, due_date: datetime.date) -> str:
    """The one name of a visit, in the active language, used by every page, e-mail,
    notification, calendar entry and export: "Ongoing #2" (进行 #2) for a generated
    ongoing visit, the phase alone for the other generated visits, and "Ad hoc visit
    2026-12-02" (临时回访 2026-12-02) for an ad-hoc one, which has no sequence to number
    it by (printing it gave "Ongoing #None"). It reads no flag but the sequence, which
    the database guarantees every generated visit has, so rows loaded with a few
    columns name themselves without another query."""
    if sequence is None:
        return gettext("Ad hoc visit %(date)s") % {"date": formats.date_format(due_date)}
    label = str(PhaseChoices(phase).label)
    if phase == PhaseChoices.ONGOING:
        return f"{label} #{sequence}"
    return label


class Visit(ChoiceLabels):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="visits", verbose_name=_("project")
    )
    phase = models.CharField(_("phase"), max_length=16, choices=PhaseChoices.choices)
    # The engine's key for a generated visit is (phase, sequence); ad-hoc visits
    # have no sequence and are never touched by planning.
    sequence = models.PositiveIntegerField(_("sequence"), null=True, blank=True)
    is_adhoc = models.BooleanField(_("ad-hoc"), default=False)
    window_start = models.DateField(_("window opens"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_visits",
        verbose_name=_("owner"),
    )
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    form = models.CharField(_("form"), max_length=16, choices=VisitForm.choices, blank=True)
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="visits", verbose_name=_("contacts")
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="participated_visits",
        verbose_name=_("internal participants"),
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=300, blank=True)
    policy_version = models.ForeignKey(
        PolicyVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("planned by policy version"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "phase", "sequence"],
                condition=models.Q(is_adhoc=False),
                name="visit_generated_key",
            ),
            models.CheckConstraint(
                condition=models.Q(is_adhoc=True) | models.Q(sequence__isnull=False),
                name="visit_generated_has_sequence",
            ),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("window_start")),
                name="visit_due_not_before_window",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(completed_on__isnull=False),
                name="visit_done_has_completed_on",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="visit_by_owner_open_due"),
            models.Index(fields=["status", "due_date"], name="visit_by_status_due"),
            models.Index(fields=["project", "due_date"], name="visit_by_project_due"),
            # The visit list's default order (every visit, soonest due first).
            models.Index(fields=["due_date", "id"], name="visit_by_due_id"),
            # Open visits soonest due first (home's overdue list): without it the
            # planner walks visit_by_due_id through every done visit.
            models.Index(
                fields=["due_date", "id"],
                condition=models.Q(status__in=OPEN_VISIT_STATUSES),
                name="visit_open_by_due",
            ),
        ]

    @property
    def name(self) -> str:
        return visit_name(phase=self.phase, sequence=self.sequence, due_date=self.due_date)

    def __str__(self) -> str:
        if self.sequence is None:  # an ad-hoc visit's name already carries its date
            return self.name
        return f"{self.name} · {formats.date_format(self.due_date)}"

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status in OPEN_VISIT_STATUSES and today > self.due_date

    def days_late(self, today: datetime.date) -> int:
        return max(0, (today - self.due_date).days) if self.is_overdue(today) else 0

    @property
    def on_time(self) -> bool | None:
        if self.status != VisitStatus.DONE or self.completed_on is None:
            return None
        return self.completed_on <= self.due_date


class ScheduleStatus(models.TextChoices):
    AHEAD = "ahead", _("Ahead of plan")
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind plan")


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class VisitRecordQuerySet(models.QuerySet["VisitRecord"]):
    def visible_to(self, user: AnyUser) -> VisitRecordQuerySet:
        return self.filter(project_scope(user, "visit__project"))


_percent = [MinValueValidator(0), MaxValueValidator(100)]


class VisitRecord(ChoiceLabels):
    """What a visit found. Submitted records are archived read-only; corrections are
    amendments with a reason (:class:`RecordAmendment`)."""

    visit = models.OneToOneField(
        Visit, on_delete=models.CASCADE, related_name="record", verbose_name=_("visit")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RecordStatus.choices, default=RecordStatus.DRAFT
    )
    # 1. Progress
    work_completed = models.TextField(_("work completed"), blank=True)
    work_outstanding = models.TextField(_("work outstanding"), blank=True)
    schedule_status = models.CharField(
        _("schedule status"), max_length=16, choices=ScheduleStatus.choices, blank=True
    )
    percent_complete = models.PositiveSmallIntegerField(
        _("percent complete"), null=True, blank=True, validators=_percent
    )
    planned_percent = models.PositiveSmallIntegerField(
        _("planned percent"), null=True, blank=True, validators=_percent
    )
    variance_days = models.IntegerField(_("schedule variance (days)"), null=True, blank=True)
    # The phase's checklist from the policy: {item key: bool}
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    # How the visit actually took place, which may differ from its appointment
    # (Visit.form, .contacts, .participants): the record form starts from those.
    # NULL (not "") for records made before the field existed: a nullable column is
    # added without rewriting the table (SQLite rebuilds it for a NOT NULL one), so
    # the upgrade is safe while the previous release still runs. Writes store "".
    form = models.CharField(
        _("form of the visit"), max_length=16, choices=VisitForm.choices, blank=True, null=True
    )
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="visit_records", verbose_name=_("customer's contacts")
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="visit_records_taken_part",
        verbose_name=_("our staff"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visit_records",
        verbose_name=_("recorded by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # Optimistic concurrency: every write bumps it; a stale write is refused.
    revision = models.PositiveIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = VisitRecordQuerySet.as_manager()

    # Not stored: set by recording.save_visit_record on the record it returns, the ids
    # of the problems and actions it kept in the order they were given, so a page
    # that saves in the background (the draft autosave) can name those rows next time.
    saved_problem_ids: list[int] | None = None
    saved_action_ids: list[int] | None = None

    class Meta:
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent_complete__isnull=True)
                | models.Q(percent_complete__lte=100),
                name="record_percent_complete_range",
            ),
            models.CheckConstraint(
                condition=models.Q(planned_percent__isnull=True)
                | models.Q(planned_percent__lte=100),
                name="record_planned_percent_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="submitted") | models.Q(submitted_at__isnull=False),
                name="record_submitted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="record_by_status_submitted"),
        ]

    def __str__(self) -> str:
        return _("Record of %(visit)s") % {"visit": self.visit}

    @property
    def is_submitted(self) -> bool:
        return self.status == RecordStatus.SUBMITTED


class RecordAmendment(models.Model):
    record = models.ForeignKey(
        VisitRecord, on_delete=models.CASCADE, related_name="amendments", verbose_name=_("record")
    )
    reason = models.TextField(_("reason"))
    changes = models.JSONField(_("changes"), default=dict)
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("amended by"),
    )
    amended_at = models.DateTimeField(_("amended at"), auto_now_add=True)

    class Meta:
        verbose_name = _("record amendment")
        verbose_name_plural = _("record amendments")
        ordering = ["record_id", "amended_at"]

    def __str__(self) -> str:
        return f"{self.record_id} @ {self.amended_at:%Y-%m-%d %H:%M}"


class ProblemCategory(models.TextChoices):
    SCOPE = "scope", _("Scope and requirements")
    SCHEDULE = "schedule", _("Schedule")
    QUALITY = "quality", _("Quality")
    RESOURCES = "resources", _("Resources")
    COMMUNICATION = "communication", _("Communication")
    TECHNICAL = "technical", _("Technical")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class RaisedBy(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    TEAM = "team", _("Project team")


class ProblemStatus(models.TextChoices):
    # Not the "Open" of actions (未开始): a problem is unresolved.
    OPEN = "open", pgettext_lazy("problem status", "Open")
    RESOLVED = "resolved", _("Resolved")


class ProblemQuerySet(models.QuerySet["Problem"]):
    def visible_to(self, user: AnyUser) -> ProblemQuerySet:
        return self.filter(project_scope(user, "project"))


class Problem(ChoiceLabels):
    """A problem or difficulty (问题与困难) found at a visit."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="problems", verbose_name=_("project")
    )
    record = models.ForeignKey(
        VisitRecord,
        on_delete=models.CASCADE,
        related_name="problems",
        null=True,
        blank=True,
        verbose_name=_("visit record"),
    )
    category = models.CharField(_("category"), max_length=16, choices=ProblemCategory.choices)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.MEDIUM
    )
    description = models.TextField(_("description"))
    raised_by = models.CharField(
        _("raised by"), max_length=16, choices=RaisedBy.choices, default=RaisedBy.CUSTOMER
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "status"], name="problem_by_project_status"),
            models.Index(fields=["category", "severity"], name="problem_by_category_severity"),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class FeedbackSource(models.TextChoices):
    VISIT = "visit", _("Visit")
    SURVEY = "survey", _("Survey")


_score5 = [MinValueValidator(1), MaxValueValidator(5)]


def _in_range(field: str, low: int, high: int) -> models.Q:
    return models.Q(**{f"{field}__isnull": True}) | models.Q(
        **{f"{field}__gte": low, f"{field}__lte": high}
    )


class FeedbackQuerySet(models.QuerySet["Feedback"]):
    def visible_to(self, user: AnyUser) -> FeedbackQuerySet:
        return self.filter(project_scope(user, "project"))


class Feedback(ChoiceLabels):
    """The customer's own view (客户反馈), from a visit or a survey response."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("project")
    )
    visit = models.ForeignKey(
        Visit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("visit"),
    )
    record = models.ForeignKey(
        VisitRecord,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("visit record"),
    )
    source = models.CharField(
        _("source"), max_length=8, choices=FeedbackSource.choices, default=FeedbackSource.VISIT
    )
    respondent = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("respondent"),
    )
    overall_satisfaction = models.PositiveSmallIntegerField(
        _("overall satisfaction"), null=True, blank=True, validators=_score5
    )
    quality_satisfaction = models.PositiveSmallIntegerField(
        _("quality"), null=True, blank=True, validators=_score5
    )
    schedule_satisfaction = models.PositiveSmallIntegerField(
        _("schedule"), null=True, blank=True, validators=_score5
    )
    communication_satisfaction = models.PositiveSmallIntegerField(
        _("communication"), null=True, blank=True, validators=_score5
    )
    service_satisfaction = models.PositiveSmallIntegerField(
        _("service"), null=True, blank=True, validators=_score5
    )
    likelihood_to_recommend = models.PositiveSmallIntegerField(
        _("likelihood to recommend"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    evaluation = models.TextField(_("evaluation of the results"), blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    requirement_changes = models.TextField(_("new or changed requirements"), blank=True)
    received_on = models.DateField(_("received on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_in_range("overall_satisfaction", 1, 5), name="feedback_overall_1_5"
            ),
            models.CheckConstraint(
                condition=_in_range("quality_satisfaction", 1, 5), name="feedback_quality_1_5"
            ),
            models.CheckConstraint(
                condition=_in_range("schedule_satisfaction", 1, 5), name="feedback_schedule_1_5"
            ),
            models.CheckConstraint(
                condition=_in_range("communication_satisfaction", 1, 5),
                name="feedback_communication_1_5",
            ),
            models.CheckConstraint(
                condition=_in_range("service_satisfaction", 1, 5), name="feedback_service_1_5"
            ),
            models.CheckConstraint(
                condition=_in_range("likelihood_to_recommend", 0, 10),
                name="feedback_recommend_0_10",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "received_on"], name="feedback_by_project_date"),
            models.Index(fields=["received_on"], name="feedback_by_date"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.received_on}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random (the caller passes it): a user's file name never
    # becomes a path on disk.
    return f"visits/{filename}"


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user: AnyUser) -> AttachmentQuerySet:
        return self.filter(project_scope(user, "visit__project"))


class Attachment(models.Model):
    """A photo or the signed minutes of a visit, kept under MEDIA_ROOT with a random
    name and served only through a view that checks who may see the project."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("visit")
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["visit_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
