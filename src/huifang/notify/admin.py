from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from huifang.notify import services
from huifang.notify.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    SweepRun,
    WebhookEndpoint,
)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "target", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username", "idempotency_key"]
    list_select_related = ["recipient"]
    readonly_fields = ["idempotency_key", "subject_type", "subject_id", "created_at"]
    inlines = [DeliveryInline]


@admin.action(description=_("Try the selected failed deliveries again"))
def retry_deliveries(admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    for delivery in queryset.filter(status=DeliveryStatus.FAILED):
        services.retry_delivery(delivery=delivery)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notification", "channel", "target", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["notification", "target"]
    readonly_fields = ["claimed_at", "claimed_by", "sent_at", "created_at"]
    actions = [retry_deliveries]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "project", "is_active"]
    list_filter = ["kind", "is_active"]
    # As the staff form: an address typed without a scheme is https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "webhook", "weekly_digest"]


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    """What the sweep recorded of its runs (read by /metrics): shown, never edited."""

    list_display = ["swept_for", "started_at", "finished_at", "duration_seconds", "notifications"]
    date_hierarchy = "finished_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
