"""Project pages: the list, create and edit (with the re-planned schedule shown), the
status buttons and the project page."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huifang.core import access, dataversion
from huifang.core.concurrency import Conflict, VersionForm, conflict_shown
from huifang.core.errors import DomainError
from huifang.core.history import history_of
from huifang.core.listing import paginate, sort_queryset
from huifang.core.models import User
from huifang.customers.queries import visible_customers
from huifang.projects import services
from huifang.projects.forms import (
    CompleteForm,
    HoldForm,
    ProjectEditForm,
    ProjectFilterForm,
    ProjectForm,
)
from huifang.projects.models import Project, ProjectStatusChoices
from huifang.projects.queries import (
    project_departments,
    project_detail_data,
    project_for_detail,
    project_managers,
    project_with_team,
)
from huifang.projects.queries import (
    project_list as list_projects,
)
from huifang.visits.planning import PlanResult

SORTS: dict[str, tuple[str, ...] | str] = {
    "code": "code",
    "name": "name",
    "customer": "customer__name",
    "manager": "manager__username",
    "status": "status",
    "start": "planned_start",
    "end": "planned_end",
    "overdue": "overdue_visit_count",
}


def _get_project(request: HttpRequest, pk: int) -> Project:
    """Load a project the user may see (404 otherwise)."""
    return get_object_or_404(project_for_detail(request.user), pk=pk)


def plan_message(result: PlanResult) -> str:
    """ "2 visits added, 1 moved" — what re-planning did, in words."""
    parts = []
    if result.created:
        n = len(result.created)
        parts.append(ngettext("%(n)d visit added", "%(n)d visits added", n) % {"n": n})
    if result.moved:
        n = len(result.moved)
        parts.append(ngettext("%(n)d visit moved", "%(n)d visits moved", n) % {"n": n})
    if result.removed:
        n = result.removed
        parts.append(ngettext("%(n)d visit removed", "%(n)d visits removed", n) % {"n": n})
    if result.cancelled:
        n = result.cancelled
        parts.append(ngettext("%(n)d visit cancelled", "%(n)d visits cancelled", n) % {"n": n})
    if not parts:
        return _("The visit plan did not change.")
    return _("Visit plan updated: %(changes)s.") % {"changes": _(", ").join(parts)}


def _after_plan(request: HttpRequest, project: Project, result: PlanResult) -> HttpResponseRedirect:
    """Show what changed and highlight the added and moved visits on the project page."""
    messages.success(request, plan_message(result))
    url = reverse("projects:detail", args=[project.pk])
    changed = [visit.pk for visit in (*result.created, *result.moved)]
    if changed:
        url += "?" + urlencode({"changed": ",".join(str(pk) for pk in changed)})
    return redirect(url)


@login_required
@require_http_methods(["GET"])
def project_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = ProjectFilterForm(
        request.GET or None,
        managers=project_managers(user),
        customers=visible_customers(user).order_by("name"),
        departments=project_departments(user),
    )
    today = timezone.localdate()
    projects, sorting = sort_queryset(
        request,
        list_projects(user, today=today, filters=form.filters() if form.is_bound else None),
        allowed=SORTS,
        default="-start",
    )
    return render(
        request,
        "projects/project_list.html",
        {
            "form": form,
            "page": paginate(request, projects),
            "sorting": sorting,
            "can_create": access.can_create_project(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    access.require(access.can_create_project(user))
    form = ProjectForm(request.POST or None, user=user, customers=visible_customers(user))
    if request.method == "POST" and form.is_valid():
        try:
            project, result = services.create_project(
                members=form.cleaned_data["members"],
                default_contacts=form.cleaned_data["default_contacts"],
                **form.project_fields(),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Project %(code)s created.") % {"code": project.code})
            return _after_plan(request, project, result)
    return render(request, "projects/project_form.html", {"form": form, "project": None})


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _managed_project(request, pk)
    # Taken before the form is bound: validating writes the input into ``project``.
    version = services.project_version(project)
    form = _edit_form(request, project, request.POST or None, version)
    if request.method == "POST" and form.is_valid():
        try:
            with conflict_shown(
                form,
                lambda: _managed_project(request, pk),
                version=services.project_version,
                current=lambda now: _edit_form(request, now, None, ""),
            ) as conflict:
                project, result = services.update_project_with_team(
                    project=project,
                    members=form.cleaned_data["members"],
                    default_contacts=form.cleaned_data["default_contacts"],
                    expected_version=form.expected_version,
                    **form.changed_fields(),
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not conflict:
                return _after_plan(request, project, result)
            context = _edit_context(conflict.row, form, version=conflict.version)
            return render(request, "projects/project_form.html", context, status=conflict.status)
    context = _edit_context(project, form, version=version)
    return render(request, "projects/project_form.html", context)


def _edit_form(request: HttpRequest, project: Project, data: Any, version: str) -> ProjectEditForm:
    user = access.signed_in_user(request)
    return ProjectEditForm(
        data, instance=project, user=user, customers=visible_customers(user), version=version
    )


def _edit_context(
    project: Project, form: ProjectForm, *, version: str, **extra: Any
) -> dict[str, Any]:
    return {
        "form": form,
        "project": project,
        "hold_form": extra.get("hold_form") or HoldForm(version=version),
        "complete_form": extra.get("complete_form")
        or CompleteForm(
            initial={"actual_end": project.actual_end or timezone.localdate()}, version=version
        ),
        "resume_form": extra.get("resume_form") or VersionForm(prefix="resume", version=version),
        "cancel_form": extra.get("cancel_form") or VersionForm(prefix="cancel", version=version),
        "can_hold": project.status == ProjectStatusChoices.ACTIVE,
        "can_resume": project.status == ProjectStatusChoices.ON_HOLD,
        "can_complete": project.status
        in (ProjectStatusChoices.ACTIVE, ProjectStatusChoices.ON_HOLD),
        "can_cancel": project.status
        not in (ProjectStatusChoices.COMPLETED, ProjectStatusChoices.CANCELLED),
    }


def _managed_project(request: HttpRequest, pk: int) -> Project:
    """A project the user sees (else 404) and manages (else 403)."""
    project = _get_project(request, pk)
    access.require(access.can_manage_project(access.signed_in_user(request), project))
    return project


def _refused(
    request: HttpRequest, project: Project, *, status: int = 400, **forms: Any
) -> HttpResponse:
    version = services.project_version(project)
    form = _edit_form(request, project, None, version)
    context = _edit_context(project, form, version=version, **forms)
    # A status button whose section the page no longer shows (the project was resumed
    # or cancelled meanwhile) would carry its error out of sight: show it above them.
    context["status_errors"] = [
        error
        for name, submitted in forms.items()
        if not context.get(f"can_{name.removesuffix('_form')}")
        for error in submitted.non_field_errors()
    ]
    return render(request, "projects/project_form.html", context, status=status)


def _conflict_shown(
    request: HttpRequest, pk: int, form: Any
) -> AbstractContextManager[Conflict[Project]]:
    """A status button's write: if the project changed since the page was loaded, it is
    shown as it is now, with the button's form and the current version in it (409)."""
    return conflict_shown(
        form, lambda: _managed_project(request, pk), version=services.project_version
    )


@login_required
@require_POST
def project_hold(request: HttpRequest, pk: int) -> HttpResponse:
    project = _managed_project(request, pk)
    hold_form = HoldForm(request.POST)
    if hold_form.is_valid():
        try:
            with _conflict_shown(request, pk, hold_form) as conflict:
                project, result = services.put_project_on_hold(
                    project=project,
                    reason=hold_form.cleaned_data["reason"],
                    expected_version=hold_form.expected_version,
                )
        except DomainError as error:
            hold_form.add_error(None, error.message)
        else:
            if conflict:
                return _refused(request, conflict.row, status=409, hold_form=hold_form)
            messages.info(request, _("The project is on hold."))
            return _after_plan(request, project, result)
    return _refused(request, project, hold_form=hold_form)


@login_required
@require_POST
def project_resume(request: HttpRequest, pk: int) -> HttpResponse:
    project = _managed_project(request, pk)
    form = VersionForm(request.POST, prefix="resume")
    if not form.is_valid():
        return _refused(request, project, resume_form=form)
    try:
        with _conflict_shown(request, pk, form) as conflict:
            project, result = services.resume_project(
                project=project, expected_version=form.expected_version
            )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("projects:edit", pk=project.pk)
    if conflict:
        return _refused(request, conflict.row, status=409, resume_form=form)
    messages.info(request, _("The project has resumed."))
    return _after_plan(request, project, result)


@login_required
@require_POST
def project_complete(request: HttpRequest, pk: int) -> HttpResponse:
    project = _managed_project(request, pk)
    complete_form = CompleteForm(request.POST)
    if complete_form.is_valid():
        try:
            with _conflict_shown(request, pk, complete_form) as conflict:
                project, result = services.complete_project(
                    project=project,
                    actual_end=complete_form.cleaned_data["actual_end"],
                    expected_version=complete_form.expected_version,
                )
        except DomainError as error:
            complete_form.add_error(None, error.message)
        else:
            if conflict:
                return _refused(request, conflict.row, status=409, complete_form=complete_form)
            messages.info(request, _("The project is completed."))
            return _after_plan(request, project, result)
    return _refused(request, project, complete_form=complete_form)


@login_required
@require_POST
def project_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    project = _managed_project(request, pk)
    form = VersionForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return _refused(request, project, cancel_form=form)
    try:
        with _conflict_shown(request, pk, form) as conflict:
            project, result = services.cancel_project(
                project=project, expected_version=form.expected_version
            )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("projects:edit", pk=project.pk)
    if conflict:
        return _refused(request, conflict.row, status=409, cancel_form=form)
    messages.info(request, _("The project is cancelled."))
    return _after_plan(request, project, result)


def _shown_project(user: User, pk: int) -> Project:
    """The project for its page, a read: the user's scope is checked live (nobody is
    asked who sees every project), and the project with its header joins and team is
    kept until the data changes (three queries)."""
    access.require_in_scope(user, Project.objects.visible_to(user).filter(pk=pk))
    # Cacheable: one row for everyone in scope (checked live above), worded when shown.
    project = dataversion.cached(
        "projects.shown", (pk,), lambda: project_with_team().filter(pk=pk).first()
    )
    if project is None:
        raise Http404
    return project


def _changed_ids(request: HttpRequest) -> set[int]:
    raw = request.GET.get("changed", "")
    return {int(part) for part in raw.split(",") if part.strip().isdigit()}


@login_required
@require_http_methods(["GET"])
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    project = _shown_project(user, pk)
    today = timezone.localdate()
    context = {**project_detail_data(project, today=today)}
    context.update(
        project=project,
        today=today,
        changed_ids=_changed_ids(request),
        can_manage=access.can_manage_project(user, project),
        can_record=access.can_record_visit(user, project),
        # Cacheable: the same for everyone who sees the project; its field labels are
        # words, so the language is in the key.
        audit_history=dataversion.cached(
            "projects.history", (project.pk, get_language()), lambda: history_of(project)
        ),
    )
    return render(request, "projects/project_detail.html", context)
