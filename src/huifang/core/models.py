"""Users and their roles. A user has exactly one organisation-wide role; what a role
may see and change is decided in :mod:`huifang.core.access`, never here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from huifang.core.choices import ChoiceLabels


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    QUALITY = "quality", _("Quality manager")
    PROJECT_MANAGER = "pm", _("Project manager")
    MEMBER = "member", _("Member")
    EXECUTIVE = "executive", _("Executive")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class User(ChoiceLabels, AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    department = models.CharField(_("department"), max_length=80, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Empty means "follow the browser"; set, it wins over Accept-Language.
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class CalendarFeed(models.Model):
    """A user's personal iCal feed: a secret URL that calendar apps subscribe to.

    Only the SHA-256 of the token is kept, so the URL is shown once, when it is made;
    revoking keeps the row (with ``revoked_at``) and any new token replaces the hash."""

    user = models.OneToOneField(
        "core.User",
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user}: {_('revoked') if self.revoked_at else _('active')}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class MonthVersion(models.Model):
    """A counter row of one month's version (``"2026-12"``, or ``"*"`` for every
    month); the version is the sum of the month's rows. Moved by database triggers and
    by SQL in :mod:`huifang.core.monthversions`, never with ``save()``."""

    month = models.CharField(_("month"), max_length=7)
    shard = models.PositiveSmallIntegerField(_("shard"))
    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("month version")
        verbose_name_plural = _("month versions")
        db_table = "huifang_month_version"
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["month", "shard"], name="huifang_month_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month}: {self.value}"


class DataVersion(models.Model):
    """One row whose ``value`` moves after every committed write to our tables; see
    :mod:`huifang.core.dataversion`. Written only with SQL there, never with ``save()``."""

    value = models.BigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")
        db_table = "core_dataversion"
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.value)


class RateCount(models.Model):
    """One rate limit's count for one client (see :mod:`huifang.core.ratelimit`).

    Used when there is no Redis, so that every web process and host counts in the same
    place. Written only with SQL there. The table name deliberately lacks an app's
    prefix: a count is bookkeeping, not data, and must not move the data version
    (:mod:`huifang.core.dataversion`), which would empty every cached page."""

    key = models.CharField(_("key"), max_length=64, primary_key=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    # Seconds since the epoch: compared with numbers in the SQL, the same in both dialects.
    expires_at = models.BigIntegerField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("rate count")
        verbose_name_plural = _("rate counts")
        db_table = "huifang_rate_count"
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
