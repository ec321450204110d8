"""The notification outbox: what somebody is told, and how each telling went.

A :class:`Notification` is unique by its idempotency key (kind, subject, recipient,
occasion), so the sweep can run any number of times, in parallel, and tell a person
about one occasion once. Each way of telling (in-app, e-mail, a group-robot webhook)
is a :class:`Delivery` row claimed atomically by one worker at a time.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from huifang.notify.kinds import Kind
from huifang.notify.messages import RENDERERS
from huifang.projects.models import Project


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("subject type")
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    subject = GenericForeignKey("subject_type", "subject_id")
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("project"),
    )
    occasion = models.CharField(_("occasion"), max_length=80)
    # kind:app_label.model:subject id:recipient id:occasion (services.idempotency_key)
    # — the database refuses a second.
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    # The message key is the kind; ``params`` holds its stable data (names, dates,
    # codes, counts) and the text is worded in the reader's language when read
    # (``shown_title`` / ``shown_body``). ``title`` and ``body`` are that text in the
    # recipient's language as of creation: what search looks in, and the fallback for
    # rows without parameters (older ones whose text could not be parsed, kinds
    # without wording of their own).
    params = models.JSONField(_("parameters"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.title} → {self.recipient}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def worded(self) -> tuple[str, str]:
        """Title and body in the active language, from the parameters alone."""
        render = RENDERERS.get(self.kind)
        if self.params is None or render is None:
            return self.title, self.body
        try:
            return render(self.params)
        except (KeyError, TypeError, ValueError):
            # Parameters from an older release that this wording no longer fits.
            return self.title, self.body

    @property
    def shown_title(self) -> str:
        return self.worded()[0]

    @property
    def shown_body(self) -> str:
        return self.worded()[1]


class EndpointKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    FEISHU = "feishu", _("Feishu/Lark group robot")
    GENERIC = "generic", _("Generic JSON webhook")


class WebhookEndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def for_project(self, project_id: int | None) -> WebhookEndpointQuerySet:
        """Active endpoints that hear about a project: its own and the global ones."""
        scope = models.Q(project__isnull=True)
        if project_id is not None:
            scope |= models.Q(project_id=project_id)
        return self.filter(scope, is_active=True)


class WebhookEndpoint(models.Model):
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=EndpointKind.choices)
    url = models.URLField(_("URL"), max_length=500)
    # DingTalk and Feishu signing secrets; for the generic webhook an HMAC key.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("project"),
        help_text=_("Leave empty to hear about every project."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    target = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("webhook endpoint"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=120, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # NULL targets are distinct in SQL, so the target-less channels get their own
            # partial constraint.
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=models.Q(target__isnull=True),
                name="delivery_once_per_channel",
            ),
            models.UniqueConstraint(
                fields=["notification", "channel", "target"],
                condition=models.Q(target__isnull=False),
                name="delivery_once_per_target",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_work"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.notification_id} · {self.status}"


class NotificationPreference(models.Model):
    """A user's channel choices. In-app is always on; no row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    email = models.BooleanField(_("send me e-mail"), default=True)
    webhook = models.BooleanField(_("post my reminders to project group chats"), default=True)
    weekly_digest = models.BooleanField(_("send me the weekly digest"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class SweepRun(models.Model):
    """One finished run of the daily sweep: when it ended and how long it took, so
    monitoring can tell a sweep that stopped running (or grew slow) from a quiet day.
    A run that failed half-way leaves no row, and the last one grows old."""

    swept_for = models.DateField(_("swept for"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    duration_seconds = models.FloatField(_("duration (seconds)"))
    notifications = models.PositiveIntegerField(_("notifications created"), default=0)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["-finished_at"], name="sweep_run_latest")]

    def __str__(self) -> str:
        return (
            f"{self.swept_for} · {self.finished_at:%Y-%m-%d %H:%M} · {self.duration_seconds:.1f} s"
        )
