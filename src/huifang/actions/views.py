"""Improvement action pages: the board (by status), the list (filters, sort, pages),
the detail with its origin and verification history, a progress note and "done".

Who may change an action: :func:`huifang.core.access.can_change_action` (the
project's managers and the action's owner); others who see it get 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huifang.actions import queries, services
from huifang.actions.forms import ActionDoneForm, ActionFilterForm, ActionProgressForm
from huifang.actions.models import OPEN_ACTION_STATUSES, ImprovementAction
from huifang.core import access
from huifang.core.concurrency import EditConflict
from huifang.core.errors import DomainError
from huifang.core.history import history_of
from huifang.core.listing import paginate, sort_queryset

SORTS: dict[str, tuple[str, ...] | str] = {
    "due": "due_date",
    "project": ("project__code",),
    "owner": ("owner__username",),
    "status": "status",
    "created": "created_at",
}


def _get_action(request: HttpRequest, pk: int) -> ImprovementAction:
    """An action the user may see, with what its detail page shows (404 otherwise)."""
    return get_object_or_404(queries.action_detail(access.signed_in_user(request), pk))


@login_required
@require_http_methods(["GET"])
def action_board(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = ActionFilterForm(request.GET or None, user=user)
    today = timezone.localdate()
    columns = queries.action_board(user, form.filters(), today=today)
    return render(
        request,
        "actions/action_board.html",
        {"form": form, "columns": columns, "today": today},
    )


@login_required
@require_http_methods(["GET"])
def action_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = ActionFilterForm(request.GET or None, user=user)
    today = timezone.localdate()
    actions, sorting = sort_queryset(
        request,
        queries.filter_actions(user, form.filters(), today=today),
        allowed=SORTS,
        default="due",
    )
    return render(
        request,
        "actions/action_list.html",
        {"form": form, "page": paginate(request, actions), "sorting": sorting, "today": today},
    )


def _detail(
    request: HttpRequest,
    action: ImprovementAction,
    *,
    progress_form: ActionProgressForm | None = None,
    done_form: ActionDoneForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_change = access.can_change_action(request.user, action.project, action.owner_id)
    is_open = action.status in OPEN_ACTION_STATUSES
    initial = {"revision": action.revision}
    context: dict[str, Any] = {
        "action": action,
        "verifications": list(action.verifications.all()),
        "today": timezone.localdate(),
        "can_change": can_change and is_open,
        # The note replaces the previous one, so the form starts from it.
        "progress_form": progress_form
        or ActionProgressForm(initial={**initial, "note": action.progress_note}),
        "done_form": done_form or ActionDoneForm(initial=initial),
        "audit_history": history_of(action),
    }
    return render(request, "actions/action_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get_action(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    action = _get_action(request, pk)
    access.require(access.can_change_action(request.user, action.project, action.owner_id))
    if request.method == "GET":
        return redirect("actions:detail", pk=action.pk)
    form = ActionProgressForm(request.POST)
    if form.is_valid():
        try:
            services.update_action_progress(
                action=action,
                note=form.cleaned_data["note"],
                status=form.cleaned_data["status"],
                expected_revision=form.cleaned_data["revision"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return _detail(request, action, progress_form=form, status=_status_of(error))
        messages.success(request, _("Progress saved."))
        return redirect("actions:detail", pk=action.pk)
    return _detail(request, action, progress_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = _get_action(request, pk)
    access.require(access.can_change_action(request.user, action.project, action.owner_id))
    if request.method == "GET":
        return redirect("actions:detail", pk=action.pk)
    form = ActionDoneForm(request.POST)
    if form.is_valid():
        try:
            services.mark_action_done(
                action=action,
                note=form.cleaned_data["note"],
                done_on=form.cleaned_data["done_on"],
                expected_revision=form.cleaned_data["revision"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return _detail(request, action, done_form=form, status=_status_of(error))
        messages.success(
            request, _("Action marked done. A later visit of the project verifies its effect.")
        )
        return redirect("actions:detail", pk=action.pk)
    return _detail(request, action, done_form=form)


def _status_of(error: DomainError) -> int:
    return 409 if isinstance(error, EditConflict) else 200
