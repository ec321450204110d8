"""Periodic reviews (回访效果评估) and summary meetings (总结会议).

Quality managers and admins (``can_manage_policy``) open and write them; executives
read them; other staff get 403 (reviews compare the whole organisation's work)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huifang.core import access, pdf
from huifang.core.concurrency import conflict_shown
from huifang.core.errors import DomainError
from huifang.insights import documents, exports, services
from huifang.insights.forms import (
    ActionItemForm,
    MeetingForm,
    PolicyRevisionForm,
    ReviewForm,
    ReviewTextForm,
)
from huifang.insights.labels import metric_labels
from huifang.insights.metrics import METRIC_NAMES
from huifang.insights.models import Meeting, Review
from huifang.policy.models import Policy
from huifang.policy.queries import version_in_force


def _review(request: HttpRequest, pk: int) -> Review:
    access.require(access.can_read_reviews(access.signed_in_user(request)))
    return get_object_or_404(
        Review.objects.select_related(
            "project", "manager", "customer", "created_by", "policy_version"
        ),
        pk=pk,
    )


def _figures(review: Review) -> list[dict[str, Any]]:
    labels = metric_labels()
    # In the order of the metric definitions (PostgreSQL's jsonb keeps no key order).
    return [
        {"name": name, "label": labels.get(name, name), "value": review.metrics[name]}
        for name in METRIC_NAMES
        if name in review.metrics
    ]


@login_required
@require_http_methods(["GET"])
def review_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.can_read_reviews(user))
    reviews = Review.objects.select_related("created_by").order_by("-period_end", "-id")
    return render(
        request,
        "insights/review_list.html",
        {"reviews": reviews, "can_manage": access.can_manage_policy(user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.can_manage_policy(user))
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.create_review(created_by=user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Review opened; its figures are frozen as of today."))
            return redirect("insights:review", pk=review.pk)
    return render(request, "insights/review_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    user = access.signed_in_user(request)
    can_manage = access.can_manage_policy(user)
    text_form = _text_form(review, request.POST or None)
    status = 200
    if request.method == "POST":
        access.require(can_manage)
        if text_form.is_valid():
            with conflict_shown(
                text_form,
                lambda: _review(request, pk),
                version=services.review_version,
                current=_text_form,
            ) as conflict:
                services.update_review(
                    review=review,
                    expected_version=text_form.expected_version,
                    **text_form.field_values(),
                )
            if not conflict:
                messages.success(request, _("Findings and decisions saved."))
                return redirect("insights:review", pk=review.pk)
            review, status = conflict.row, conflict.status
    return _render_review(
        request, review, text_form=text_form, can_manage=can_manage, status=status
    )


def _text_form(review: Review, data: Any = None) -> ReviewTextForm:
    return ReviewTextForm(
        data,
        initial={"findings": review.findings, "decisions": review.decisions},
        version=services.review_version(review),
    )


def _render_review(
    request: HttpRequest, review: Review, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context: dict[str, Any] = {
        "review": review,
        "figures": _figures(review),
        "actions": review.actions.select_related("project", "owner"),
        "action_form": ActionItemForm(),
        "revision_form": PolicyRevisionForm(),
    }
    context.update(extra)
    context.setdefault("can_manage", access.can_manage_policy(request.user))
    context.setdefault("text_form", _text_form(review))
    return render(request, "insights/review_detail.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def review_add_action(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    user = access.signed_in_user(request)
    access.require(access.can_manage_policy(user))
    form = ActionItemForm(request.POST)
    if form.is_valid():
        try:
            services.add_review_action(review=review, created_by=user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Improvement action created."))
            return redirect("insights:review", pk=review.pk)
    return _render_review(request, review, action_form=form)


@login_required
@require_http_methods(["POST"])
def review_propose_revision(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    user = access.signed_in_user(request)
    access.require(access.can_manage_policy(user))
    form = PolicyRevisionForm(request.POST)
    policy = Policy.objects.filter(is_default=True).first()
    if form.is_valid():
        try:
            if policy is None:
                raise DomainError(_("There is no default policy to revise."))
            draft = services.propose_policy_revision(
                review=review,
                policy=policy,
                based_on=version_in_force(policy, on=review.period_end),
                change_note=form.cleaned_data["change_note"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Draft policy version %(number)s proposed.") % {"number": draft.number}
            )
            return redirect("insights:review", pk=review.pk)
    return _render_review(request, review, revision_form=form)


@login_required
@require_http_methods(["GET"])
def review_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The review as a document that prints cleanly (and as a PDF: review_report_pdf)."""
    review = _review(request, pk)
    return render(
        request,
        "insights/review_report.html",
        {
            "review": review,
            "figures": _figures(review),
            "actions": review.actions.select_related("project", "owner"),
        },
    )


@login_required
@require_http_methods(["GET"])
def review_report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The review's report as a PDF, for whoever reads the review."""
    review = _review(request, pk)
    content, filename = documents.review_report_pdf(
        review,
        _figures(review),
        review.actions.select_related("project", "owner"),
        request=request,
    )
    return pdf.download(content, filename=filename, content_type=pdf.PDF)


@login_required
@require_http_methods(["GET"])
def review_export(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    overview: list[list[object]] = [
        [_("Title"), review.title],
        [_("Period from"), review.period_start],
        [_("Period to"), review.period_end],
        [_("Findings"), review.findings],
        [_("Decisions"), review.decisions],
    ]
    return exports.workbook_response(
        f"review-{review.pk}",
        [
            (_("Review"), [_("Field"), _("Value")], overview),
            (
                _("Figures"),
                [_("Metric"), _("Key"), _("Value")],
                [[row["label"], row["name"], row["value"]] for row in _figures(review)],
            ),
        ],
    )


# --- Meetings ---------------------------------------------------------------------------


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    access.require(access.can_read_reviews(access.signed_in_user(request)))
    return get_object_or_404(Meeting.objects.select_related("created_by", "review"), pk=pk)


@login_required
@require_http_methods(["GET"])
def meeting_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.can_read_reviews(user))
    meetings = Meeting.objects.prefetch_related("attendees").order_by("-date", "-id")
    return render(
        request,
        "insights/meeting_list.html",
        {"meetings": meetings, "can_manage": access.can_manage_policy(user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.can_manage_policy(user))
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.create_meeting(created_by=user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("insights:meeting", pk=meeting.pk)
    return render(request, "insights/meeting_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    user = access.signed_in_user(request)
    can_manage = access.can_manage_policy(user)
    form = ActionItemForm(request.POST or None)
    if request.method == "POST":
        access.require(can_manage)
        if form.is_valid():
            try:
                services.add_meeting_action(meeting=meeting, created_by=user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Action item added."))
                return redirect("insights:meeting", pk=meeting.pk)
    return render(
        request,
        "insights/meeting_detail.html",
        {
            "meeting": meeting,
            "attendees": meeting.attendees.order_by("username"),
            "actions": meeting.actions.select_related("project", "owner"),
            "form": form,
            "can_manage": can_manage,
        },
    )
