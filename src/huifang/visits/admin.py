"""Admin for visits and what they found: records, amendments, problems, feedback.

Visits change through the services (:mod:`huifang.visits.lifecycle`): adding one here
makes an ad-hoc visit, changing one (re)schedules it, and "Mark missed" is an action.
Their plan (window, due date, sequence) is the planner's and their outcome the
record's, so those fields are read-only. Records are written only on the record pages (a draft
save replaces its problems, feedback and actions together; submitting archives it;
corrections are amendments), so records, amendments and verdicts are read-only
here. A problem's follow-up (status, resolution) stays editable after submission;
its content does not.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang.core.admin import ReadOnlyAdminMixin, ServiceModelAdmin, acting_user, adopt_saved
from huifang.core.errors import DomainError
from huifang.projects.models import Project
from huifang.visits.attachments import add_attachment, delete_attachment
from huifang.visits.lifecycle import book_visit, create_adhoc_visit, mark_visit_missed
from huifang.visits.models import (
    OPEN_VISIT_STATUSES,
    Attachment,
    Feedback,
    FeedbackSource,
    Problem,
    RecordAmendment,
    Visit,
    VisitQuerySet,
    VisitRecord,
    VisitStatus,
)


class OverdueVisitFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", gettext("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() != "yes":
            return queryset
        # Overdue is derived, so the definition stays in the model's queryset.
        return cast(VisitQuerySet, queryset).overdue(timezone.localdate())


class AdhocVisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = ("project", "phase", "due_date", "owner")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Somebody must be answerable for an ad-hoc visit; planned ones get the PM.
        self.fields["owner"].required = True


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    fields = ("original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    show_change_link = True
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attachment]:
        return super().get_queryset(request).select_related("uploaded_by")


# The appointment: what (re)scheduling a visit sets.
_APPOINTMENT_FIELDS = ("scheduled_at", "form", "owner", "contacts", "participants")


@admin.register(Visit)
class VisitAdmin(ServiceModelAdmin):
    list_display = (
        "__str__",
        "project",
        "status",
        "window_start",
        "due_date",
        "owner",
        "form",
        "scheduled_at",
        "completed_on",
        "is_adhoc",
        "policy_version",
    )
    list_select_related = ("project", "owner", "policy_version__policy")
    list_filter = (
        OverdueVisitFilter,
        "status",
        "phase",
        "form",
        "is_adhoc",
        ("owner", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "due_date"
    search_fields = (
        "project__code",
        "project__name",
        "project__customer__name",
        "owner__username",
        "owner__display_name",
        "cancel_reason",
    )
    autocomplete_fields = ("project", "owner", "contacts", "participants")
    ordering = ("due_date", "id")
    actions = ("mark_missed",)
    add_fieldsets = ((None, {"fields": ("project", "phase", "due_date", "owner")}),)
    fieldsets = (
        (None, {"fields": ("project", "phase", "sequence", "is_adhoc", "status")}),
        (_("Plan"), {"fields": ("window_start", "due_date", "policy_version")}),
        (_("Appointment"), {"fields": _APPOINTMENT_FIELDS}),
        (_("Outcome"), {"fields": ("completed_on", "cancel_reason")}),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )

    inlines = (AttachmentInline,)

    def get_fieldsets(self, request: HttpRequest, obj: Visit | None = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_inlines(self, request: HttpRequest, obj: Visit | None) -> Any:
        return () if obj is None else self.inlines

    def get_readonly_fields(self, request: HttpRequest, obj: Visit | None = None) -> Any:
        if obj is None:
            return ()
        return [
            name
            for _title, options in self.fieldsets
            for name in options["fields"]
            if name not in _APPOINTMENT_FIELDS
        ]

    def get_form(
        self, request: HttpRequest, obj: Visit | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = AdhocVisitForm
        return super().get_form(request, obj, change, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Visit | None = None) -> bool:
        # Done, missed and cancelled visits are history.
        if obj is not None and obj.status not in OPEN_VISIT_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Visit | None = None) -> bool:
        # Only what the planner would remove itself: planned and not recorded.
        if obj is not None and (
            obj.status != VisitStatus.PLANNED or VisitRecord.objects.filter(visit=obj).exists()
        ):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Visit, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            adopt_saved(
                obj,
                create_adhoc_visit(
                    project=data["project"],
                    due_date=data["due_date"],
                    owner=data["owner"],
                    phase=data["phase"],
                ),
            )
            return
        if not set(form.changed_data) & set(_APPOINTMENT_FIELDS):
            return
        adopt_saved(
            obj,
            book_visit(
                visit=obj,
                scheduled_at=data["scheduled_at"],
                form=data["form"],
                owner=data["owner"],
                contacts=data["contacts"],
                participants=data["participants"],
            ),
        )

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Visit],
        formsets: list[BaseInlineFormSet],
        change: bool,
    ) -> None:
        # Not form.save_m2m(): the services set contacts and participants (with their
        # defaults and team checks), and the form must not overwrite what they chose.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Mark missed"), permissions=["change"])
    def mark_missed(self, request: HttpRequest, queryset: QuerySet[Visit]) -> None:
        marked = 0
        for visit in queryset.select_related("project"):
            try:
                mark_visit_missed(visit=visit)
            except DomainError as error:
                self.message_user(
                    request,
                    gettext("%(visit)s: %(error)s") % {"visit": visit, "error": error.message},
                    messages.ERROR,
                )
            else:
                marked += 1
        if marked:
            self.message_user(
                request, gettext("Visits marked missed: %(count)d.") % {"count": marked}
            )


def _record_is_submitted(record: VisitRecord | None) -> bool:
    return record is not None and record.is_submitted


class ProblemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Problem
    fk_name = "record"
    fields = ("category", "severity", "raised_by", "description", "status", "resolution")
    readonly_fields = fields
    show_change_link = True
    extra = 0


class FeedbackInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = Feedback
    fk_name = "record"
    fields = (
        "received_on",
        "respondent",
        ("overall_satisfaction", "likelihood_to_recommend"),
        (
            "quality_satisfaction",
            "schedule_satisfaction",
            "communication_satisfaction",
            "service_satisfaction",
        ),
        "evaluation",
        "suggestions",
        "requirement_changes",
    )
    readonly_fields = flatten_fieldsets(((None, {"fields": fields}),))
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Feedback]:
        return super().get_queryset(request).select_related("respondent")


class AmendmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RecordAmendment
    fields = ("amended_at", "amended_by", "reason", "changes")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecordAmendment]:
        return super().get_queryset(request).select_related("amended_by")


_RECORD_RELATED = ("visit__project", "recorded_by")


@admin.register(VisitRecord)
class VisitRecordAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "project",
        "status",
        "schedule_status",
        "percent_complete",
        "planned_percent",
        "recorded_by",
        "submitted_at",
        "revision",
    )
    list_select_related = _RECORD_RELATED
    list_filter = ("status", "schedule_status", "visit__phase")
    date_hierarchy = "submitted_at"
    search_fields = (
        "visit__project__code",
        "visit__project__name",
        "summary",
        "work_completed",
        "work_outstanding",
    )
    ordering = ("-created_at",)
    inlines = (ProblemInline, FeedbackInline, AmendmentInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitRecord]:
        # __str__ names the visit, and autocomplete lists use this queryset too. (A
        # changelist skips list_select_related once the queryset selects anything.)
        return super().get_queryset(request).select_related(*_RECORD_RELATED)

    @admin.display(description=_("project"), ordering="visit__project__code")
    def project(self, obj: VisitRecord) -> Project:
        return obj.visit.project

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: VisitRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: VisitRecord | None = None) -> bool:
        # A draft nobody submitted may go; the archive may not.
        return not _record_is_submitted(obj) and super().has_delete_permission(request, obj)


@admin.register(RecordAmendment)
class RecordAmendmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "record", "project", "amended_by", "amended_at", "reason")
    list_select_related = ("record__visit__project", "amended_by")
    list_filter = (("amended_by", admin.RelatedOnlyFieldListFilter),)
    date_hierarchy = "amended_at"
    search_fields = ("reason", "record__visit__project__code", "record__visit__project__name")
    ordering = ("-amended_at",)

    @admin.display(description=_("project"), ordering="record__visit__project__code")
    def project(self, obj: RecordAmendment) -> Project:
        return obj.record.visit.project


# What a problem *is* belongs to its record; what became of it is tracked afterwards.
_PROBLEM_CONTENT = ("project", "record", "category", "severity", "description", "raised_by")


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "project",
        "category",
        "severity",
        "raised_by",
        "status",
        "created_at",
    )
    list_select_related = ("project",)
    list_filter = ("status", "severity", "category", "raised_by")
    date_hierarchy = "created_at"
    search_fields = ("description", "resolution", "project__code", "project__name")
    autocomplete_fields = ("project", "record")
    ordering = ("-created_at",)

    def _archived(self, obj: Problem | None) -> bool:
        return obj is not None and obj.record is not None and obj.record.is_submitted

    def get_readonly_fields(self, request: HttpRequest, obj: Problem | None = None) -> Any:
        return ("created_at", *_PROBLEM_CONTENT) if self._archived(obj) else ("created_at",)

    def has_delete_permission(self, request: HttpRequest, obj: Problem | None = None) -> bool:
        return not self._archived(obj) and super().has_delete_permission(request, obj)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """The customer's own words: frozen once their record is submitted, and never
    edited when they came from a survey."""

    list_display = (
        "__str__",
        "project",
        "received_on",
        "source",
        "overall_satisfaction",
        "likelihood_to_recommend",
        "respondent",
        "visit",
    )
    list_select_related = ("project", "respondent", "visit")
    list_filter = ("source", "overall_satisfaction", "likelihood_to_recommend")
    date_hierarchy = "received_on"
    search_fields = (
        "evaluation",
        "suggestions",
        "requirement_changes",
        "project__code",
        "project__name",
        "respondent__name",
    )
    autocomplete_fields = ("project", "visit", "record", "respondent")
    readonly_fields = ("created_at",)
    ordering = ("-received_on", "-id")

    def _frozen(self, obj: Feedback | None) -> bool:
        if obj is None:
            return False
        return obj.source == FeedbackSource.SURVEY or _record_is_submitted(obj.record)

    def has_change_permission(self, request: HttpRequest, obj: Feedback | None = None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Feedback | None = None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


def _attachment_archived(attachment: Attachment) -> bool:
    record = VisitRecord.objects.filter(visit_id=attachment.visit_id).first()
    return record is not None and record.is_submitted


@admin.register(Attachment)
class AttachmentAdmin(ServiceModelAdmin):
    """Files are added and removed through their services: the service checks what
    a file really is (not what its name claims) and keeps a submitted record's
    files. The stored file is served only by the product's checked download view,
    so the admin shows its details, not a link to it."""

    list_display = ("original_name", "visit", "project", "content_type", "size", "uploaded_by")
    list_select_related = ("visit__project", "uploaded_by")
    list_filter = ("content_type",)
    date_hierarchy = "uploaded_at"
    search_fields = ("original_name", "visit__project__code", "visit__project__name")
    autocomplete_fields = ("visit",)
    ordering = ("-uploaded_at",)
    add_fieldsets = ((None, {"fields": ("visit", "file")}),)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "visit",
                    "original_name",
                    "content_type",
                    "size",
                    "uploaded_by",
                    "uploaded_at",
                )
            },
        ),
    )

    @admin.display(description=_("project"), ordering="visit__project__code")
    def project(self, obj: Attachment) -> Project:
        return obj.visit.project

    def get_fieldsets(self, request: HttpRequest, obj: Attachment | None = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def has_change_permission(self, request: HttpRequest, obj: Attachment | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Attachment | None = None) -> bool:
        if obj is not None and _attachment_archived(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Attachment, form: Any, change: bool) -> None:
        attachment = add_attachment(
            visit=form.cleaned_data["visit"],
            uploaded_by=acting_user(request),
            upload=form.cleaned_data["file"],
        )
        adopt_saved(obj, attachment)

    def delete_model(self, request: HttpRequest, obj: Attachment) -> None:
        delete_attachment(attachment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Attachment]) -> None:
        for attachment in queryset.select_related("visit"):
            delete_attachment(attachment=attachment)
