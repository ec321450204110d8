"""Notification pages: a person's own inbox and preferences; webhook endpoints and
failed deliveries for administrators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huifang.core import access
from huifang.core.concurrency import conflict_shown
from huifang.core.listing import paginate, sort_queryset
from huifang.notify import queries, services
from huifang.notify.channels import ChannelError
from huifang.notify.forms import (
    NotificationFilterForm,
    PreferenceForm,
    WebhookEndpointEditForm,
    WebhookEndpointForm,
)
from huifang.notify.models import Delivery, DeliveryStatus, Notification, WebhookEndpoint


def _own_notification(request: HttpRequest, pk: int) -> Notification:
    """Only the recipient sees a notification; anyone else gets a 404."""
    return get_object_or_404(Notification, pk=pk, recipient=access.signed_in_user(request))


def _require_admin(request: HttpRequest) -> None:
    access.require(access.is_admin(access.signed_in_user(request)))


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = NotificationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    notifications = queries.inbox(user, search=filters.get("q", ""), unread=filters.get("unread"))
    notifications, sorting = sort_queryset(
        request, notifications, allowed={"created": "created_at"}, default="-created"
    )
    # Read fresh: which notifications are read is bookkeeping (core.dataversion).
    page = paginate(request, notifications, fresh=True)
    return render(
        request,
        "notify/notification_list.html",
        {"form": form, "page": page, "sorting": sorting, "is_admin": access.is_admin(user)},
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    notification = _own_notification(request, pk)
    services.mark_notification_read(notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notify:list")


@login_required
@require_POST
def notification_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = _own_notification(request, pk)
    services.mark_notification_read(notification=notification)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "notify/_notification_row.html", {"notification": notification})
    return redirect("notify:list")


@login_required
@require_POST
def notification_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_notifications_read(user=access.signed_in_user(request))
    messages.success(request, _("%(count)d notification(s) marked read.") % {"count": count})
    return redirect("notify:list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = PreferenceForm(
        request.POST or None,
        instance=services.preference_for(user),
        version=services.preference_version(user),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        with conflict_shown(
            form,
            lambda: user,
            version=services.preference_version,
            current=lambda now: PreferenceForm(instance=services.preference_for(now)),
        ) as conflict:
            services.save_notification_preference(
                user=user, expected_version=form.expected_version, **form.field_values()
            )
        if not conflict:
            messages.success(request, _("Notification preferences saved."))
            return redirect("notify:preferences")
        status = conflict.status
    return render(request, "notify/preferences.html", {"form": form}, status=status)


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    endpoints = WebhookEndpoint.objects.select_related("project").order_by("name", "pk")
    return render(request, "notify/webhook_list.html", {"page": paginate(request, endpoints)})


@login_required
def webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    if pk is None:
        return _webhook_create(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    form = WebhookEndpointEditForm(
        request.POST or None, instance=endpoint, version=services.webhook_version(endpoint)
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        with conflict_shown(
            form,
            lambda: get_object_or_404(WebhookEndpoint, pk=pk),
            version=services.webhook_version,
            current=lambda now: WebhookEndpointEditForm(instance=now),
        ) as conflict:
            saved = services.save_webhook_endpoint(
                endpoint=endpoint, expected_version=form.expected_version, **form.field_values()
            )
        if not conflict:
            messages.success(request, _("Webhook “%(name)s” saved.") % {"name": saved.name})
            return redirect("notify:webhooks")
        endpoint, status = conflict.row, conflict.status
    context = {"form": form, "endpoint": endpoint}
    return render(request, "notify/webhook_form.html", context, status=status)


def _webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = services.save_webhook_endpoint(**form.cleaned_data)
        messages.success(request, _("Webhook “%(name)s” saved.") % {"name": saved.name})
        return redirect("notify:webhooks")
    return render(request, "notify/webhook_form.html", {"form": form, "endpoint": None})


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    try:
        services.send_test_message(endpoint=endpoint, user=access.signed_in_user(request))
    except ChannelError as error:
        messages.error(request, _("The test message failed: %(reason)s") % {"reason": error})
    else:
        messages.success(request, _("Test message sent to “%(name)s”.") % {"name": endpoint.name})
    return redirect("notify:webhooks")


@login_required
def delivery_failures(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    failures = queries.failed_deliveries()
    # Read fresh: a delivery's state is bookkeeping (core.dataversion).
    page = paginate(request, failures, fresh=True)
    return render(request, "notify/delivery_failures.html", {"page": page})


@login_required
@require_POST
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    delivery = get_object_or_404(Delivery, pk=pk, status=DeliveryStatus.FAILED)
    services.retry_delivery(delivery=delivery)
    messages.success(request, _("The delivery will be tried again."))
    return redirect("notify:failures")
