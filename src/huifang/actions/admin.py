"""Admin for improvement actions and their verifications.

An action is created through :func:`create_action` (its owner must be on the
project's team). Its life cycle (progress, done, verified) belongs to the action
and record pages, so those fields are read-only here; what is left to correct is
the description, the owner and the due date. Verifications move their action's
status, are written only by the verification workflow and are read-only.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huifang.actions.models import (
    ActionStatus,
    ActionVerification,
    ImprovementAction,
    ImprovementActionQuerySet,
)
from huifang.actions.services import check_on_project_team, create_action
from huifang.core.admin import ReadOnlyAdminMixin, ServiceModelAdmin, acting_user, adopt_saved


class OverdueActionFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", gettext("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() != "yes":
            return queryset
        return cast(ImprovementActionQuerySet, queryset).overdue(timezone.localdate())


class VerificationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ActionVerification
    fields = ("verified_on", "record", "result", "note", "new_due_date", "verified_by")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[ActionVerification]:
        return super().get_queryset(request).select_related("record__visit", "verified_by")


class NewActionForm(forms.ModelForm):
    class Meta:
        model = ImprovementAction
        fields = (
            "project",
            "origin",
            "record",
            "problem",
            "feedback",
            "description",
            "owner",
            "due_date",
        )


# Corrections without a workflow of their own.
_CORRECTABLE = ("description", "owner", "due_date")


@admin.register(ImprovementAction)
class ImprovementActionAdmin(ServiceModelAdmin):
    list_display = (
        "__str__",
        "project",
        "origin",
        "owner",
        "status",
        "due_date",
        "done_on",
        "closed_on",
    )
    list_select_related = ("project", "owner")
    list_filter = (
        OverdueActionFilter,
        "status",
        "origin",
        ("owner", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "due_date"
    search_fields = (
        "description",
        "progress_note",
        "done_note",
        "project__code",
        "project__name",
        "owner__username",
        "owner__display_name",
    )
    autocomplete_fields = ("project", "record", "problem", "feedback", "owner")
    ordering = ("due_date", "id")
    inlines = (VerificationInline,)
    add_fieldsets = ((None, {"fields": NewActionForm.Meta.fields}),)
    fieldsets = (
        (None, {"fields": ("project", "origin", "record", "problem", "feedback")}),
        (_("Action"), {"fields": _CORRECTABLE}),
        (
            _("Progress"),
            {"fields": ("status", "progress_note", "done_on", "done_note", "closed_on")},
        ),
        (_("History"), {"fields": ("created_by", "revision", "created_at", "updated_at")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: ImprovementAction | None = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(
        self, request: HttpRequest, obj: ImprovementAction | None = None
    ) -> Any:
        if obj is None:
            return ()
        return [
            name
            for _title, options in self.fieldsets
            for name in options["fields"]
            if name not in _CORRECTABLE
        ]

    def get_form(
        self,
        request: HttpRequest,
        obj: ImprovementAction | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        if obj is None:
            kwargs["form"] = NewActionForm
        return super().get_form(request, obj, change, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: ImprovementAction | None) -> Any:
        # A new action has no verifications yet.
        return () if obj is None else self.inlines

    def has_delete_permission(
        self, request: HttpRequest, obj: ImprovementAction | None = None
    ) -> bool:
        # Like a record's own draft save: only an action nobody has started on.
        if obj is not None and (obj.status != ActionStatus.OPEN or obj.verifications.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ImprovementAction, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if not change:
            adopt_saved(
                obj,
                create_action(created_by=acting_user(request), **data),
            )
            return
        changes = {name: data[name] for name in form.changed_data if name in _CORRECTABLE}
        if not changes:
            return
        if "owner" in changes:
            check_on_project_team(project=obj.project, user=changes["owner"])
        # Only the corrected fields, with a new revision: a page someone has open on
        # this action then refuses its stale write instead of undoing this one.
        ImprovementAction.objects.filter(pk=obj.pk).update(
            **changes, revision=F("revision") + 1, updated_at=timezone.now()
        )
        obj.refresh_from_db()


@admin.register(ActionVerification)
class ActionVerificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("action", "result", "record", "verified_by", "verified_on", "new_due_date")
    list_select_related = ("action", "record__visit", "verified_by")
    list_filter = ("result",)
    date_hierarchy = "verified_on"
    search_fields = ("note", "action__description", "action__project__code")
    ordering = ("-verified_on", "-id")

    def has_delete_permission(
        self, request: HttpRequest, obj: ActionVerification | None = None
    ) -> bool:
        # A draft record's verdicts are pending (every draft save replaces them), so
        # deleting the draft may take them along; applied verdicts are history.
        return obj is not None and not obj.record.is_submitted
