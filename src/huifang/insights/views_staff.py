"""Staff pages: acknowledging the policy in force, training and assessment, and
suggestions on the policy.

Every signed-in user acknowledges the policy, executives included (it is a statement
about themselves, not a change to the follow-up work), and suggests for themselves
(executives, read-only, get 403 there); quality managers and admins run training and answer
suggestions; the acknowledgement register and training records are for them and
executives."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huifang.core import access
from huifang.core.concurrency import conflict_shown
from huifang.core.errors import DomainError
from huifang.insights import queries, services
from huifang.insights.forms import AnswerForm, ScoresForm, SuggestionForm, TrainingForm
from huifang.insights.models import PolicyAcknowledgement, Suggestion, TrainingSession
from huifang.policy.models import Policy


@login_required
@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    version = queries.version_to_acknowledge(timezone.localdate())
    if request.method == "POST":
        access.require(access.can_acknowledge_policy(user))
        if version is not None:
            try:
                services.acknowledge_policy(user=user, version=version)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Thank you: your acknowledgement is recorded."))
        return redirect("insights:acknowledge")
    acknowledgement = (
        PolicyAcknowledgement.objects.filter(user=user, version=version).first()
        if version
        else None
    )
    return render(
        request,
        "insights/acknowledge.html",
        {
            "version": version,
            "acknowledgement": acknowledgement,
            "can_acknowledge": access.can_acknowledge_policy(user),
            "can_see_register": access.sees_all_projects(user),
        },
    )


@login_required
@require_http_methods(["GET"])
def acknowledgements(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.sees_all_projects(user))
    version = queries.version_to_acknowledge(timezone.localdate())
    people = list(queries.staff_acknowledgements(version)) if version else []
    return render(
        request,
        "insights/acknowledgements.html",
        {
            "version": version,
            "people": people,
            "missing": sum(1 for person in people if not getattr(person, "acknowledged", False)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.sees_all_projects(user))
    can_manage = access.can_manage_policy(user)
    form = TrainingForm(request.POST or None)
    if request.method == "POST":
        access.require(can_manage)
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = services.create_training_session(
                    date=data["date"],
                    topic=data["topic"],
                    trainer=data["trainer"],
                    notes=data["notes"],
                    scores=dict.fromkeys(data["attendees"]),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                return redirect("insights:training", pk=session.pk)
    sessions = TrainingSession.objects.select_related("trainer").prefetch_related(
        "attendance__user"
    )
    return render(
        request,
        "insights/training_list.html",
        {"sessions": sessions, "form": form, "can_manage": can_manage},
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.sees_all_projects(user))
    session = get_object_or_404(TrainingSession.objects.select_related("trainer"), pk=pk)
    can_manage = access.can_manage_policy(user)
    form = ScoresForm(
        request.POST or None, session=session, version=services.training_version(session)
    )
    status = 200
    if request.method == "POST":
        access.require(can_manage)
        if form.is_valid():
            try:
                with conflict_shown(
                    form,
                    lambda: session,
                    version=services.training_version,
                    current=lambda now: ScoresForm(session=now),
                ) as conflict:
                    services.record_training_scores(
                        session=session,
                        scores=form.scores(),
                        expected_version=form.expected_version,
                    )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                if not conflict:
                    messages.success(request, _("Assessment scores saved."))
                    return redirect("insights:training", pk=session.pk)
                status = conflict.status
    return render(
        request,
        "insights/training_detail.html",
        {"session": session, "form": form, "can_manage": can_manage},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_list(request: HttpRequest) -> HttpResponse:
    """Every staff member sees the suggestions and answers (the policy is everyone's)."""
    user = access.signed_in_user(request)
    form = SuggestionForm(request.POST or None)
    if request.method == "POST":
        access.require(access.can_make_suggestion(user))
        policy = Policy.objects.filter(is_default=True).first()
        if form.is_valid():
            try:
                if policy is None:
                    raise DomainError(_("There is no policy to comment on yet."))
                services.create_suggestion(
                    policy=policy, author=user, text=form.cleaned_data["text"]
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Thank you for your suggestion."))
                return redirect("insights:suggestions")
    suggestions = Suggestion.objects.select_related("author", "answered_by")
    return render(
        request,
        "insights/suggestion_list.html",
        {
            "suggestions": suggestions,
            "form": form,
            "can_suggest": access.can_make_suggestion(user),
            "can_answer": access.can_manage_policy(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    suggestion = get_object_or_404(Suggestion.objects.select_related("author"), pk=pk)
    access.require(access.can_manage_policy(user))
    form = _answer_form(suggestion, request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with conflict_shown(
                form,
                lambda: get_object_or_404(Suggestion.objects.select_related("author"), pk=pk),
                version=services.suggestion_version,
                current=_answer_form,
            ) as conflict:
                services.answer_suggestion(
                    suggestion=suggestion,
                    answered_by=user,
                    expected_version=form.expected_version,
                    **form.field_values(),
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not conflict:
                messages.success(request, _("Answer saved."))
                return redirect("insights:suggestions")
            suggestion, status = conflict.row, conflict.status
    context = {"suggestion": suggestion, "form": form}
    return render(request, "insights/suggestion_answer.html", context, status=status)


def _answer_form(suggestion: Suggestion, data: Any = None) -> AnswerForm:
    initial = {"response": suggestion.response}
    if suggestion.answered_at is not None:
        initial["status"] = suggestion.status
    return AnswerForm(data, initial=initial, version=services.suggestion_version(suggestion))
