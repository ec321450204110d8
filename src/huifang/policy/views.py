"""The policy pages: the document in force, its versions, drafting and publishing, and
the company's own holidays and working days.

Every signed-in user reads the policy (it is the company's rule book); quality
managers and admins change it (``access.can_manage_policy``, others 403). Published
versions are immutable: their edit and publish pages answer 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huifang.core import access, pdf
from huifang.core.concurrency import conflict_shown
from huifang.core.errors import DomainError
from huifang.core.listing import paginate, sort_queryset
from huifang.policy import word
from huifang.policy.document import PHASE_ORDER, build_document
from huifang.policy.forms import (
    ChecklistFormSet,
    CompanyDayForm,
    DraftSettingsForm,
    NewDraftForm,
    PublishForm,
    RuleForm,
)
from huifang.policy.models import CompanyDay, Policy, PolicyVersion, PolicyVersionStatus
from huifang.policy.queries import version_in_force
from huifang.policy.services import (
    ReplanSummary,
    add_company_day,
    create_policy_draft,
    draft_version,
    publish_policy_revision,
    remove_company_day,
    update_policy_draft,
)


def _selected_policy(request: HttpRequest) -> Policy:
    """``?policy=<pk>``, else the default policy, else the first one."""
    policies = Policy.objects.all()
    wanted = request.GET.get("policy") or request.POST.get("policy")
    if wanted:
        if not wanted.isdigit():
            raise Http404
        return get_object_or_404(policies, pk=wanted)
    policy = policies.filter(is_default=True).first() or policies.first()
    if policy is None:
        raise Http404
    return policy


def _version(pk: int) -> PolicyVersion:
    return get_object_or_404(PolicyVersion.objects.select_related("policy", "published_by"), pk=pk)


def _draft_for_editing(request: HttpRequest, pk: int) -> PolicyVersion:
    """A draft the user may change: 403 without the right or once published."""
    access.require(access.can_manage_policy(access.signed_in_user(request)))
    version = _version(pk)
    if version.is_published:
        raise PermissionDenied(_("A published policy version cannot be changed."))
    return version


def _document_context(request: HttpRequest, version: PolicyVersion) -> dict[str, Any]:
    user = access.signed_in_user(request)
    drafts = PolicyVersion.objects.filter(
        policy_id=version.policy_id, status=PolicyVersionStatus.DRAFT
    ).order_by("-number")
    return {
        "version": version,
        "document": build_document(version, today=timezone.localdate()),
        "can_manage": access.can_manage_policy(user),
        "draft": drafts.first(),
        "policies": Policy.objects.all(),
    }


@login_required
@require_http_methods(["GET"])
def current(request: HttpRequest) -> HttpResponse:
    policy = _selected_policy(request)
    version = version_in_force(policy, on=timezone.localdate())
    if version is None:
        return render(
            request,
            "policy/current.html",
            {"policy": policy, "version": None, "policies": Policy.objects.all()},
        )
    context = _document_context(request, version)
    context |= {"policy": policy, "in_force": True}
    return render(request, "policy/current.html", context)


@login_required
@require_http_methods(["GET"])
def version(request: HttpRequest, pk: int) -> HttpResponse:
    shown = _version(pk)
    context = _document_context(request, shown)
    in_force = version_in_force(shown.policy, on=timezone.localdate())
    context |= {"policy": shown.policy, "in_force": in_force is not None and in_force == shown}
    return render(request, "policy/current.html", context)


@login_required
@require_http_methods(["GET"])
def version_docx(request: HttpRequest, pk: int) -> FileResponse:
    """The version as a Word file: whoever reads the page may download it."""
    shown = _version(pk)
    return pdf.download(
        word.policy_docx(shown, request),
        filename=word.file_name(shown, "docx"),
        content_type=pdf.DOCX,
    )


@login_required
@require_http_methods(["GET"])
def version_pdf(request: HttpRequest, pk: int) -> FileResponse:
    shown = _version(pk)
    return pdf.download(
        word.policy_pdf(shown, request), filename=word.file_name(shown, "pdf"), content_type=pdf.PDF
    )


VERSION_SORTS: dict[str, tuple[str, ...] | str] = {
    "number": ("policy__name", "number"),
    "effective_from": "effective_from",
    "published_at": "published_at",
    "status": "status",
}


@login_required
@require_http_methods(["GET"])
def versions(request: HttpRequest) -> HttpResponse:
    queryset: QuerySet[PolicyVersion] = PolicyVersion.objects.select_related(
        "policy", "published_by"
    )
    policy_filter = request.GET.get("policy", "")
    if policy_filter.isdigit():
        queryset = queryset.filter(policy_id=policy_filter)
    status_filter = request.GET.get("status", "")
    if status_filter in PolicyVersionStatus.values:
        queryset = queryset.filter(status=status_filter)
    queryset, sorting = sort_queryset(request, queryset, allowed=VERSION_SORTS, default="-number")
    today = timezone.localdate()
    in_force_ids = {
        found.pk
        for found in (version_in_force(policy, on=today) for policy in Policy.objects.all())
        if found is not None
    }
    return render(
        request,
        "policy/versions.html",
        {
            "page": paginate(request, queryset),
            "sorting": sorting,
            "policies": Policy.objects.all(),
            "policy_filter": policy_filter,
            "status_filter": status_filter,
            "statuses": PolicyVersionStatus.choices,
            "in_force_ids": in_force_ids,
            "can_manage": access.can_manage_policy(access.signed_in_user(request)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_draft(request: HttpRequest) -> HttpResponse:
    access.require(access.can_manage_policy(access.signed_in_user(request)))
    policy = _selected_policy(request)
    existing = policy.versions.filter(status=PolicyVersionStatus.DRAFT).order_by("-number")
    if existing.exists():
        messages.info(request, _("This policy already has a draft: continue with it."))
        return redirect("policy:edit_draft", pk=existing[0].pk)
    based_on = version_in_force(policy, on=timezone.localdate())
    form = NewDraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        draft = create_policy_draft(
            policy=policy, based_on=based_on, change_note=form.cleaned_data["change_note"]
        )
        messages.success(request, _("Draft created from the version in force."))
        return redirect("policy:edit_draft", pk=draft.pk)
    return render(
        request, "policy/new_draft.html", {"form": form, "policy": policy, "based_on": based_on}
    )


def _rule_forms(request: HttpRequest, draft: PolicyVersion) -> list[RuleForm]:
    existing = {rule.phase: rule for rule in draft.rules.all()}
    forms = []
    for phase in PHASE_ORDER:
        rule = existing.get(phase)
        initial = {
            "enabled": rule is not None or phase == "kickoff",
            "anchor": rule.anchor if rule else ("start" if phase == "ongoing" else "end"),
            "offset_days": rule.offset_days if rule else (30 if phase == "aftercare" else 0),
            "window_days": rule.window_days if rule else 7,
        }
        data = request.POST if request.method == "POST" else None
        forms.append(RuleForm(data, phase=phase, prefix=f"rule-{phase}", initial=initial))
    return forms


@login_required
@require_http_methods(["GET", "POST"])
def edit_draft(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft_for_editing(request, pk)
    data = request.POST if request.method == "POST" else None
    settings_form = DraftSettingsForm(data, instance=draft, version=draft_version(draft))
    rule_forms = _rule_forms(request, draft)
    checklist = ChecklistFormSet(
        data,
        prefix="checklist",
        initial=[
            {"key": i.key, "phase": i.phase, "label_zh": i.label_zh, "label_en": i.label_en}
            for i in draft.checklist_items.order_by("position")
        ],
    )
    valid = all(
        [settings_form.is_valid(), checklist.is_valid(), *(f.is_valid() for f in rule_forms)]
    )
    status = 200
    if request.method == "POST" and valid:
        entries = [
            form.entry()
            for form in checklist.forms
            # An untouched extra form has no cleaned data: nothing to add.
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            with conflict_shown(
                settings_form,
                lambda: _draft_for_editing(request, pk),
                version=draft_version,
                current=lambda now: DraftSettingsForm(instance=now),
            ) as conflict:
                update_policy_draft(
                    version=draft,
                    settings=settings_form.field_values(),
                    rules=[form.setting() for form in rule_forms],
                    checklist=entries,
                    expected_version=settings_form.expected_version,
                )
        except DomainError as error:
            settings_form.add_error(None, error.message)
        else:
            if not conflict:
                messages.success(request, _("Draft saved."))
                return redirect("policy:edit_draft", pk=draft.pk)
            draft, status = conflict.row, conflict.status
    return render(
        request,
        "policy/edit_draft.html",
        {
            "version": draft,
            "settings_form": settings_form,
            "rule_forms": rule_forms,
            "checklist": checklist,
        },
        status=status,
    )


def summary_text(summary: ReplanSummary) -> str:
    """The re-planning summary the publisher sees: visits count as moved only when
    their dates changed; changed reminder and escalation settings are said apart."""
    if summary.deferred:
        text = _(
            "It takes effect on %(date)s. Projects that follow this policy: %(projects)d; "
            "their plans change on that date."
        ) % {"date": formats.date_format(summary.effective_from), "projects": summary.projects}
    elif summary.result.created or summary.result.moved or summary.result.removed:
        text = _(
            "Projects re-planned: %(projects)d (visits added: %(created)d, moved: %(moved)d, "
            "removed: %(removed)d)."
        ) % {
            "projects": summary.projects,
            "created": len(summary.result.created),
            "moved": len(summary.result.moved),
            "removed": summary.result.removed,
        }
    else:
        text = _("Projects checked: %(projects)d; no visit dates changed.") % {
            "projects": summary.projects
        }
    if summary.reminder_changes:
        labels = {f.name: f.verbose_name for f in PolicyVersion._meta.concrete_fields}
        changes = "; ".join(
            f"{labels[change.name]}: {change.old} → {change.new}"
            for change in summary.reminder_changes
        )
        text += " " + _("Reminder and escalation rules changed (%(changes)s).") % {
            "changes": changes
        }
    return text


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft_for_editing(request, pk)
    form = PublishForm(
        request.POST or None,
        initial={"effective_from": timezone.localdate(), "change_note": draft.change_note},
        version=draft_version(draft),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            # A draft changed since the page was loaded is published only once read.
            with conflict_shown(
                form, lambda: _draft_for_editing(request, pk), version=draft_version
            ) as conflict:
                published, summary = publish_policy_revision(
                    version=draft,
                    effective_from=form.cleaned_data["effective_from"],
                    change_note=form.cleaned_data["change_note"],
                    published_by=access.signed_in_user(request),
                    expected_version=form.expected_version,
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if not conflict:
                messages.success(
                    request,
                    _("Version %(number)d published.") % {"number": published.number}
                    + " "
                    + summary_text(summary),
                )
                return redirect("policy:version", pk=published.pk)
            draft, status = conflict.row, conflict.status
    return render(request, "policy/publish.html", {"version": draft, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def company_days(request: HttpRequest) -> HttpResponse:
    can_manage = access.can_manage_policy(access.signed_in_user(request))
    form = CompanyDayForm()
    if request.method == "POST":
        access.require(can_manage)
        form = CompanyDayForm(request.POST)
        if form.is_valid():
            try:
                day = add_company_day(
                    date=form.cleaned_data["date"],
                    kind=form.cleaned_data["kind"],
                    name=form.cleaned_data["name"],
                )
            except DomainError as error:
                form.add_error("date", error.message)
            else:
                messages.success(
                    request,
                    _("%(date)s added as a %(kind)s.")
                    % {
                        "date": formats.date_format(day.date),
                        "kind": day.get_kind_display().lower(),
                    },
                )
                return redirect("policy:company_days")
    days = CompanyDay.objects.filter(date__year__gte=timezone.localdate().year - 1)
    return render(
        request,
        "policy/company_days.html",
        {"form": form, "days": days.order_by("date"), "can_manage": can_manage},
    )


@login_required
@require_POST
def company_day_remove(request: HttpRequest, pk: int) -> HttpResponse:
    access.require(access.can_manage_policy(access.signed_in_user(request)))
    day = remove_company_day(day=get_object_or_404(CompanyDay, pk=pk))
    messages.success(request, _("%(date)s removed.") % {"date": formats.date_format(day.date)})
    return redirect("policy:company_days")
