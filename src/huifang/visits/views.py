"""Visit pages: the list, a visit's page, planning it (booking, ad-hoc, cancel,
reassign), recording it, amending the record, and its attachments.

Every view loads the visit through ``visible_to(user)`` (outsiders get 404) and asks
:mod:`huifang.core.access` for the right (403 otherwise); writes go through the
services in :mod:`huifang.visits.lifecycle`, :mod:`huifang.visits.recording` and
:mod:`huifang.visits.attachments`.

Who may book a visit (the "Schedule" page): the project's managers and, for their own
visit, the visit's owner, who may fix the appointment (time, form, contacts,
participants) but not hand the visit to someone else (``access.can_book_visit``).
Cancelling, reassigning and adding ad-hoc visits stay with the managers
(``access.can_manage_project``): they change the plan itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huifang.actions.models import ActionVerification, ImprovementAction
from huifang.core import access, dataversion
from huifang.core.concurrency import conflict_shown
from huifang.core.errors import DomainError
from huifang.core.history import merged_history
from huifang.core.listing import paginate, sort_queryset
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation
from huifang.visits import views_amend, views_record
from huifang.visits.attachments import add_attachment, delete_attachment
from huifang.visits.forms import (
    AdhocVisitForm,
    AttachmentForm,
    BookingForm,
    CancelForm,
    ReassignForm,
    VisitFilterForm,
)
from huifang.visits.lifecycle import (
    book_visit,
    cancel_visit,
    create_adhoc_visit,
    reassign_visit,
    visit_version,
)
from huifang.visits.models import (
    OPEN_VISIT_STATUSES,
    Attachment,
    RecordAmendment,
    Visit,
    VisitRecord,
    VisitStatus,
)
from huifang.visits.queries import filter_visits

SORTS: dict[str, tuple[str, ...] | str] = {
    "due": ("due_date",),
    "project": ("project__code", "due_date"),
    "status": ("status", "due_date"),
    "phase": ("phase", "due_date"),
    "owner": ("owner__username", "due_date"),
}


def _get_visit(request: HttpRequest, pk: int) -> Visit:
    visits = Visit.objects.select_related(
        "project__customer", "project__policy", "project__manager", "owner", "policy_version"
    )
    visit: Visit | None
    if request.method != "GET":  # a change reads the row as it is now
        visit = visits.filter(pk=pk).first()
    else:
        # A page view (the record form above all) reads it as of the data version.
        # Cacheable: one row for everyone in scope (checked live below), worded when shown.
        visit = dataversion.cached("visits.shown", (pk,), lambda: visits.filter(pk=pk).first())
    # The scope is checked live on the loaded project, never through the cache.
    if visit is None or not access.sees_project(request.user, visit.project):
        raise Http404
    return visit


# --- The list ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def visit_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = VisitFilterForm(request.GET or None, projects=Project.objects.visible_to(user))
    # Invalid filter values are ignored one by one (and shown on the form); the
    # valid ones still apply.
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        filters = form.cleaned_data
    today = timezone.localdate()
    visits, sorting = sort_queryset(
        request, filter_visits(user, filters, today=today), allowed=SORTS, default="due"
    )
    page = paginate(request, visits)
    rows = [(visit, visit.days_late(today)) for visit in page.object_list]
    context = {"form": form, "page": page, "rows": rows, "sorting": sorting, "today": today}
    return render(request, "visits/visit_list.html", context)


# --- A visit's page ---------------------------------------------------------------------


def _record_for_display(visit: Visit) -> VisitRecord | None:
    return (
        VisitRecord.objects.filter(visit=visit)
        .select_related("recorded_by")
        .prefetch_related(
            "problems",
            "feedback__respondent",
            "contacts",
            "participants",
            Prefetch(
                "actions", queryset=ImprovementAction.objects.select_related("owner").order_by("pk")
            ),
            Prefetch(
                "verifications",
                queryset=ActionVerification.objects.select_related("action", "verified_by"),
            ),
            Prefetch(
                "amendments",
                queryset=RecordAmendment.objects.select_related("amended_by").order_by(
                    "amended_at", "pk"
                ),
            ),
        )
        .first()
    )


@login_required
@require_http_methods(["GET"])
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    visit = _get_visit(request, pk)
    record = _record_for_display(visit)
    project = visit.project
    may_manage = access.can_manage_project(user, project)
    today = timezone.localdate()
    context = {
        "visit": visit,
        "record": record,
        "project": project,
        "contacts": list(visit.contacts.all()),
        "participants": list(visit.participants.all()),
        "amendments": views_amend.amendment_rows(record) if record else [],
        "checklist": views_amend.checklist_rows(visit, record) if record else [],
        "is_open": visit.status in OPEN_VISIT_STATUSES,
        # Before its window opens a visit offers "schedule"; recording it is "record now".
        "not_yet_open": today < visit.window_start,
        "is_overdue": visit.is_overdue(today),
        "days_late": visit.days_late(today),
        "may_manage": may_manage,
        "may_schedule": access.can_book_visit(user, visit),
        "may_record": access.can_record_visit(user, project),
        "invitations": list(
            SurveyInvitation.objects.filter(visit=visit)
            .select_related("contact", "visit")
            .order_by("-sent_at", "-pk")
        ),
        **views_record.attachment_context(request, visit, record),
        "audit_history": merged_history(visit, record),
    }
    return render(request, "visits/visit_detail.html", context)


# --- Planning ---------------------------------------------------------------------------


def _booking_form(visit: Visit, data: Any, *, may_reassign: bool, version: str) -> BookingForm:
    initial = {
        "scheduled_at": visit.scheduled_at and timezone.localtime(visit.scheduled_at),
        "form": visit.form,
        "contacts": list(visit.contacts.all()),
        "participants": list(visit.participants.all()),
        "owner": visit.owner,
    }
    return BookingForm(
        data, initial=initial, visit=visit, may_reassign=may_reassign, version=version
    )


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    visit = _get_visit(request, pk)
    access.require(access.can_book_visit(user, visit))
    may_reassign = access.can_manage_project(user, visit.project)
    form = _booking_form(
        visit, request.POST or None, may_reassign=may_reassign, version=visit_version(visit)
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with conflict_shown(
                form,
                lambda: _get_visit(request, pk),
                version=visit_version,
                current=lambda now: _booking_form(now, None, may_reassign=may_reassign, version=""),
            ) as conflict:
                book_visit(
                    visit=visit,
                    scheduled_at=data["scheduled_at"],
                    form=data["form"],
                    owner=data["owner"] if may_reassign else None,
                    contacts=data["contacts"],
                    participants=data["participants"],
                    expected_version=form.expected_version,
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not conflict:
                messages.success(request, _("The visit is scheduled."))
                return redirect("visits:detail", pk=visit.pk)
            visit, status = conflict.row, conflict.status
    context = {"visit": visit, "form": form, "title": _("Schedule the visit")}
    return render(request, "visits/visit_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _get_visit(request, pk)
    access.require(access.can_manage_project(access.signed_in_user(request), visit.project))
    form = CancelForm(request.POST or None, version=visit_version(visit))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with conflict_shown(
                form, lambda: _get_visit(request, pk), version=visit_version
            ) as conflict:
                cancel_visit(
                    visit=visit,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.expected_version,
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not conflict:
                messages.success(request, _("The visit is cancelled."))
                return redirect("visits:detail", pk=visit.pk)
            visit, status = conflict.row, conflict.status
    context = {"visit": visit, "form": form, "title": _("Cancel the visit"), "danger": True}
    return render(request, "visits/visit_form.html", context, status=status)


def _reassign_form(visit: Visit, data: Any, version: str) -> ReassignForm:
    return ReassignForm(
        data, initial={"owner": visit.owner}, project=visit.project, version=version
    )


@login_required
@require_http_methods(["GET", "POST"])
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    visit = _get_visit(request, pk)
    access.require(access.can_manage_project(user, visit.project))
    form = _reassign_form(visit, request.POST or None, visit_version(visit))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with conflict_shown(
                form,
                lambda: _get_visit(request, pk),
                version=visit_version,
                current=lambda now: _reassign_form(now, None, ""),
            ) as conflict:
                reassign_visit(
                    visit=visit,
                    owner=form.cleaned_data["owner"],
                    expected_version=form.expected_version,
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not conflict:
                messages.success(request, _("The visit has a new owner."))
                return redirect("visits:detail", pk=visit.pk)
            visit, status = conflict.row, conflict.status
    context = {"visit": visit, "form": form, "title": _("Reassign the visit")}
    return render(request, "visits/visit_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def adhoc(request: HttpRequest, project_pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    project = get_object_or_404(Project.objects.visible_to(user), pk=project_pk)
    access.require(access.can_manage_project(user, project))
    form = AdhocVisitForm(request.POST or None, initial={"owner": project.manager}, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = create_adhoc_visit(
                project=project, due_date=data["due_date"], owner=data["owner"], phase=data["phase"]
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The ad-hoc visit is added."))
            return redirect("visits:detail", pk=visit.pk)
    context = {"project": project, "form": form, "title": _("Add an ad-hoc visit")}
    return render(request, "visits/visit_form.html", context)


# --- Recording --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def record_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """The one form of a visit's record: save the draft, add a row, or submit."""
    user = access.signed_in_user(request)
    visit = _get_visit(request, pk)
    access.require(access.can_record_visit(user, visit.project))
    record = VisitRecord.objects.filter(visit=visit).first()
    # The page's background save reads JSON, not a redirect to another page.
    autosave = request.method == "POST" and request.POST.get("intent") == "autosave"
    if record is not None and record.is_submitted:
        if autosave:
            return views_record.refuse_autosave(_("This record is submitted and read-only."))
        messages.info(request, _("This record is submitted and read-only."))
        return redirect("visits:detail", pk=visit.pk)
    if visit.status == VisitStatus.CANCELLED:
        if autosave:
            return views_record.refuse_autosave(_("A cancelled visit cannot be recorded."))
        messages.error(request, _("A cancelled visit cannot be recorded."))
        return redirect("visits:detail", pk=visit.pk)
    if (
        record is None
        and request.method == "GET"
        and timezone.localdate() < visit.window_start
        and request.GET.get("early") != "1"
    ):
        # Before its window a visit is normally scheduled, not recorded: recording it
        # early (it took place ahead of time) is a deliberate choice, confirmed here.
        context = {
            "visit": visit,
            "project": visit.project,
            "may_schedule": access.can_book_visit(user, visit),
        }
        return render(request, "visits/record_early.html", context)
    return views_record.handle_record_form(request, user, visit, record)


@login_required
@require_http_methods(["GET", "POST"])
def amend_record(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    visit = _get_visit(request, pk)
    access.require(access.can_record_visit(user, visit.project))
    record = VisitRecord.objects.filter(visit=visit).first()
    if record is None or not record.is_submitted:
        raise Http404
    return views_amend.handle_amendment_form(request, user, visit, record)


# --- Attachments ------------------------------------------------------------------------


def _attachments_response(
    request: HttpRequest, visit: Visit, form: AttachmentForm | None = None
) -> HttpResponse:
    """htmx swaps the attachments block in place (the record form around it keeps
    what the user typed); without script the browser goes back to the page."""
    if request.htmx:  # type: ignore[attr-defined]
        record = VisitRecord.objects.filter(visit=visit).first()
        context = views_record.attachment_context(request, visit, record)
        context["back"] = request.POST.get("back", "detail")
        if form is not None:
            context["attachment_form"] = form
        return render(request, "visits/_attachments.html", context)
    if form is not None:
        for error in form.errors.get("file", []):
            messages.error(request, str(error))
    back = "visits:record" if request.POST.get("back") == "record" else "visits:detail"
    return redirect(back, pk=visit.pk)


@login_required
@require_POST
def upload_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    visit = _get_visit(request, pk)
    access.require(access.can_record_visit(user, visit.project))
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            add_attachment(visit=visit, uploaded_by=user, upload=form.cleaned_data["file"])
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, _("The file is attached."))
            return _attachments_response(request, visit)
    return _attachments_response(request, visit, form)


@login_required
@require_POST
def remove_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    attachment = get_object_or_404(
        Attachment.objects.visible_to(user).select_related("visit__project"), pk=pk
    )
    visit = attachment.visit
    access.require(access.can_record_visit(user, visit.project))
    try:
        delete_attachment(attachment=attachment)
    except DomainError as error:
        messages.error(request, error.message)
    return _attachments_response(request, visit)


@login_required
@require_http_methods(["GET"])
def download_attachment(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    # Always a download, never rendered inline: a PDF or image cannot run in our
    # origin, and nosniff stops the browser from guessing another type.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
