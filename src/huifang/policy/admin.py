"""Admin for the follow-up policy, its numbered versions and the company's own days.

A published version is immutable (visits and old figures point at it), so its page
is read-only: no save, no delete, and its rules and checklist inline read-only too.
Drafts are edited on their own page and saved whole (settings, rules, checklist)
by ``update_policy_draft``; a new draft is made by the drafting service (with the
default rules, or copied from another version) and published by the "Publish"
action, never by editing the status. Company days are added and removed through
their services; a day is never edited in place (remove it and add the other kind).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import Count, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang.core.admin import (
    ReadOnlyAdminMixin,
    ServiceModelAdmin,
    acting_user,
    adopt_saved,
    inline_rows,
)
from huifang.core.errors import DomainError
from huifang.policy.models import (
    ChecklistItem,
    CompanyDay,
    NationalYear,
    Policy,
    PolicyVersion,
    VisitRule,
)
from huifang.policy.services import (
    DRAFT_SETTINGS,
    ChecklistEntry,
    RuleSetting,
    add_company_day,
    create_policy_draft,
    publish_policy_version,
    remove_company_day,
    replan_policy_projects,
    update_policy_draft,
)
from huifang.projects.admin import plan_summary


def _is_published(version: PolicyVersion | None) -> bool:
    return version is not None and version.pk is not None and version.is_published


class PolicyVersionInline(admin.TabularInline):
    """An index of the versions; each is changed (while a draft) on its own page,
    which has room for its many settings, rules and checklist."""

    model = PolicyVersion
    fields = ("number", "status", "effective_from", "published_at", "change_note")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    ordering = ("-number",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PolicyVersion]:
        return super().get_queryset(request).select_related("policy")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default", "version_count", "project_count", "created_at")
    list_filter = ("is_default",)
    search_fields = ("name", "description")
    readonly_fields = ("created_at",)
    ordering = ("name",)
    inlines = (PolicyVersionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Policy]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                version_count=Count("versions", distinct=True),
                project_count=Count("projects", distinct=True),
            )
        )

    @admin.display(description=_("versions"), ordering="version_count")
    def version_count(self, obj: Policy) -> int:
        return int(getattr(obj, "version_count", 0))

    @admin.display(description=_("projects"), ordering="project_count")
    def project_count(self, obj: Policy) -> int:
        return int(getattr(obj, "project_count", 0))


class _DraftOnlyInline(InlineModelAdmin):
    """Rules and checklist of a version: editable while it is a draft. The rows go
    to ``update_policy_draft`` with the version's settings, never saved one by one."""

    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("version__policy")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _is_published(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _is_published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _is_published(obj) and super().has_delete_permission(request, obj)


_RULE_FIELDS = ("phase", "anchor", "offset_days", "window_days")
_CHECKLIST_FIELDS = ("phase", "position", "label_zh", "label_en")


class VisitRuleInline(_DraftOnlyInline, admin.TabularInline):
    model = VisitRule
    fields = _RULE_FIELDS


class ChecklistItemInline(_DraftOnlyInline, admin.TabularInline):
    model = ChecklistItem
    fields = (*_CHECKLIST_FIELDS, "key")
    # Records keep their answers by key: the service keeps old keys and makes new ones.
    readonly_fields = ("key",)


class PolicyVersionAddForm(forms.ModelForm):
    based_on = forms.ModelChoiceField(
        queryset=PolicyVersion.objects.select_related("policy"),
        required=False,
        label=_("copy rules and settings from"),
        help_text=_("Leave empty to start from the default rules."),
    )

    class Meta:
        model = PolicyVersion
        fields = ("policy", "change_note")


_VERSION_RELATED = ("policy", "published_by")


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ServiceModelAdmin):
    list_display = (
        "__str__",
        "policy",
        "number",
        "status",
        "effective_from",
        "published_at",
        "published_by",
        "calendar",
    )
    list_select_related = _VERSION_RELATED
    list_filter = ("status", "policy", "calendar")
    date_hierarchy = "effective_from"
    search_fields = ("policy__name", "change_note")
    ordering = ("policy__name", "-number")
    actions = ("publish", "create_draft_from")
    add_fieldsets = ((None, {"fields": ("policy", "based_on", "change_note")}),)
    fieldsets = (
        (None, {"fields": ("policy", "number", "status", "change_note")}),
        (_("Publication"), {"fields": ("effective_from", "published_at", "published_by")}),
        (
            _("Working days and schedule"),
            {"fields": ("calendar", "ongoing_clearance_days", "rolling_horizon_days")},
        ),
        (
            _("Reminders and escalation"),
            {
                "fields": (
                    "reminder_lead_days",
                    "escalate_to_manager_days",
                    "escalate_to_quality_days",
                    "missed_grace_days",
                )
            },
        ),
        (
            _("Surveys"),
            {"fields": ("survey_expiry_days", "survey_reminder_days", "survey_after_phase")},
        ),
        (
            _("Targets"),
            {
                "fields": (
                    "target_on_time_rate",
                    "target_csat",
                    "target_nps",
                    "target_action_closure_days",
                )
            },
        ),
    )
    # Set by the drafting and publishing services, never typed in.
    service_fields = (
        "policy",
        "number",
        "status",
        "change_note",
        "effective_from",
        "published_at",
        "published_by",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[PolicyVersion]:
        # __str__ names the policy, and autocomplete lists use this queryset too. (A
        # changelist skips list_select_related once the queryset selects anything.)
        return super().get_queryset(request).select_related(*_VERSION_RELATED)

    def get_fieldsets(self, request: HttpRequest, obj: PolicyVersion | None = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: PolicyVersion | None = None) -> Any:
        return () if obj is None else self.service_fields

    def get_form(
        self,
        request: HttpRequest,
        obj: PolicyVersion | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        if obj is None:
            kwargs["form"] = PolicyVersionAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: PolicyVersion | None) -> Any:
        # A new draft gets its rules from the drafting service; edit them afterwards.
        return () if obj is None else (VisitRuleInline, ChecklistItemInline)

    def has_change_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return not _is_published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return not _is_published(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: PolicyVersion, form: Any, change: bool) -> None:
        if change:
            return  # saved whole, with its rules and checklist, in save_related
        draft = create_policy_draft(
            policy=form.cleaned_data["policy"],
            based_on=form.cleaned_data.get("based_on"),
            change_note=form.cleaned_data.get("change_note", ""),
        )
        adopt_saved(obj, draft)

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[PolicyVersion],
        formsets: list[BaseInlineFormSet],
        change: bool,
    ) -> None:
        if not change:
            super().save_related(request, form, formsets, change)
            return
        if not form.has_changed() and not any(formset.has_changed() for formset in formsets):
            return
        rules = checklist = None
        for formset in formsets:
            if formset.model is VisitRule:
                rules = inline_rows(formset, _RULE_FIELDS)
            elif formset.model is ChecklistItem:
                checklist = inline_rows(formset, _CHECKLIST_FIELDS)
        if rules is None or checklist is None:
            return  # not the draft page's inlines: nothing we could save whole
        items = sorted(checklist.kept, key=lambda row: row.values.get("position") or 0)
        adopt_saved(
            form.instance,
            update_policy_draft(
                version=form.instance,
                settings={
                    name: form.cleaned_data[name]
                    for name in DRAFT_SETTINGS
                    if name in form.cleaned_data
                },
                rules=[RuleSetting(enabled=True, **row.values) for row in rules.kept],
                checklist=[
                    ChecklistEntry(
                        phase=row.values["phase"],
                        label_zh=row.values["label_zh"],
                        label_en=row.values["label_en"],
                        key=getattr(row.instance, "key", ""),
                    )
                    for row in items
                ],
            ),
        )

    @admin.action(description=_("Publish (effective today)"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]) -> None:
        today = timezone.localdate()
        for version in queryset.order_by("policy_id", "number"):
            try:
                published = publish_policy_version(
                    version=version, effective_from=today, published_by=acting_user(request)
                )
            except DomainError as error:
                self.message_user(
                    request,
                    gettext("%(version)s: %(error)s")
                    % {"version": version, "error": error.message},
                    messages.ERROR,
                )
                continue
            replanned = replan_policy_projects(policy=published.policy, effective_from=today)
            self.message_user(
                request,
                gettext("%(version)s published; %(summary)s.")
                % {"version": published, "summary": plan_summary(replanned.result)},
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Create a new draft from the selected version"), permissions=["add"]
    )
    def create_draft_from(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]) -> None:
        for version in queryset.order_by("policy_id", "number"):
            draft = create_policy_draft(
                policy=version.policy,
                based_on=version,
                change_note=gettext("Based on %(version)s") % {"version": version},
            )
            self.message_user(
                request, gettext("Draft %(draft)s created.") % {"draft": draft}, messages.SUCCESS
            )


class _VersionPartAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rules and checklist items listed on their own. They are written only with
    their version (``update_policy_draft``), on the version's page."""

    list_select_related = ("version__policy",)
    list_filter = ("phase", "version__status", "version__policy")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # So that a draft version can be deleted, and its rules with it.
        return obj is not None and not obj.version.is_published


@admin.register(VisitRule)
class VisitRuleAdmin(_VersionPartAdmin):
    list_display = ("__str__", "version", "phase", "anchor", "offset_days", "window_days")
    search_fields = ("version__policy__name",)
    ordering = ("version__policy__name", "-version__number", "id")


@admin.register(ChecklistItem)
class ChecklistItemAdmin(_VersionPartAdmin):
    list_display = ("label_en", "label_zh", "version", "phase", "key", "position")
    search_fields = ("label_en", "label_zh", "key", "version__policy__name")
    ordering = ("version__policy__name", "-version__number", "phase", "position")


@admin.register(NationalYear)
class NationalYearAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Loaded national days, to look at. Loading goes through the national holidays
    page or ``huifang calendar load``, which re-plan the visits a change moves and tell
    their owners; an edit or a delete here would do neither."""

    list_display = ("year", "source", "loaded_by", "loaded_at")
    ordering = ("-year",)


@admin.register(CompanyDay)
class CompanyDayAdmin(ServiceModelAdmin):
    """The company's own holidays and working days. Plans pick a change up at their
    next planning run (nightly, or "Re-plan visits" on projects)."""

    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)
    ordering = ("-date",)

    def has_change_permission(self, request: HttpRequest, obj: CompanyDay | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: CompanyDay, form: Any, change: bool) -> None:
        data = form.cleaned_data
        adopt_saved(obj, add_company_day(date=data["date"], kind=data["kind"], name=data["name"]))

    def delete_model(self, request: HttpRequest, obj: CompanyDay) -> None:
        remove_company_day(day=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CompanyDay]) -> None:
        for day in queryset:
            remove_company_day(day=day)
