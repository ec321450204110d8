"""Admin for projects, their teams and their hold periods.

A project's visit plan must never disagree with the project, so the admin writes a
project, its team and its default contacts in one call to :func:`create_project` /
:func:`update_project_with_team`, which validate, keep hold periods in step with the
status and re-plan in the same transaction. That call needs the team from the
membership inline, so it is made in ``save_related`` (``save_model`` writes nothing).
Hold periods have no service of their own: their inline saves them, and the project
is re-planned once more when they changed, as a hold removes visits. (We chose the
services over a plain save followed by ``plan_project_visits``: they are the one
write path every other caller uses, and their rules keep applying here as they grow.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db.models import Min, Q, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from huifang.core.admin import InlineRows, ServiceModelAdmin, adopt_saved, inline_rows
from huifang.projects.models import Membership, Project, ProjectHold
from huifang.projects.services import create_project, set_project_team, update_project_with_team
from huifang.visits.models import OPEN_VISIT_STATUSES
from huifang.visits.planning import PlanResult, plan_project_visits

# The project's own fields, as the project services take them (the team and the
# default contacts are passed to them separately).
_PROJECT_FIELDS = frozenset(
    field.name
    for field in Project._meta.concrete_fields
    if field.editable and not field.primary_key
)


def merge_plan_results(results: Iterable[PlanResult]) -> PlanResult:
    total = PlanResult()
    for result in results:
        total.created.extend(result.created)
        total.moved.extend(result.moved)
        total.removed += result.removed
        total.cancelled += result.cancelled
    return total


def plan_summary(result: PlanResult) -> str:
    """What a planning run changed, in words, for an admin message."""
    return gettext(
        "visits created: %(created)d, moved: %(moved)d, removed: %(removed)d, "
        "cancelled: %(cancelled)d"
    ) % {
        "created": len(result.created),
        "moved": len(result.moved),
        "removed": result.removed,
        "cancelled": result.cancelled,
    }


def _report_plan(modeladmin: admin.ModelAdmin, request: HttpRequest, result: PlanResult) -> None:
    if result.changed:
        modeladmin.message_user(
            request, gettext("Visit plan updated: %(summary)s.") % {"summary": plan_summary(result)}
        )


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "responsibility", "joined_at")
    readonly_fields = ("joined_at",)
    autocomplete_fields = ("user",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "project")


class ProjectHoldInline(admin.TabularInline):
    model = ProjectHold
    fields = ("started_on", "ended_on", "reason")
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProjectHold]:
        return super().get_queryset(request).select_related("project")


@admin.register(Project)
class ProjectAdmin(ServiceModelAdmin):
    list_display = (
        "code",
        "name",
        "customer",
        "manager",
        "status",
        "cadence",
        "planned_start",
        "planned_end",
        "next_visit_due",
        "policy",
    )
    list_display_links = ("code", "name")
    list_select_related = ("customer", "manager", "policy")
    list_filter = (
        "status",
        "cadence",
        "policy",
        ("manager", admin.RelatedOnlyFieldListFilter),
        "department",
    )
    date_hierarchy = "planned_start"
    search_fields = (
        "code",
        "name",
        "customer__name",
        "manager__username",
        "manager__display_name",
        "department",
    )
    autocomplete_fields = ("customer", "manager", "policy", "default_contacts")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("-planned_start", "code")
    fieldsets = (
        (None, {"fields": ("code", "name", "customer", "manager", "department", "description")}),
        (
            _("Schedule"),
            {
                "fields": (
                    "status",
                    "cadence",
                    "policy",
                    ("planned_start", "planned_end"),
                    ("actual_start", "actual_end"),
                )
            },
        ),
        (_("Visits"), {"fields": ("default_contacts",)}),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )
    inlines = (MembershipInline, ProjectHoldInline)
    actions = ("replan_visits",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                next_due=Min("visits__due_date", filter=Q(visits__status__in=OPEN_VISIT_STATUSES))
            )
        )

    @admin.display(description=_("next visit due"), ordering="next_due")
    def next_visit_due(self, obj: Project) -> Any:
        return getattr(obj, "next_due", None)

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        pass  # written whole, with its team, in save_related

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Project],
        formsets: list[BaseInlineFormSet],
        change: bool,
    ) -> None:
        project = form.instance
        data = form.cleaned_data
        team: InlineRows | None = None
        holds: BaseInlineFormSet | None = None
        for formset in formsets:
            if formset.model is Membership:
                team = inline_rows(formset, ("user", "responsibility"))
            elif formset.model is ProjectHold:
                holds = formset
        if team is not None:
            members = [row.values["user"] for row in team.kept]
        else:
            members = [membership.user for membership in project.memberships.all()]
        contacts = list(data.get("default_contacts") or [])
        if change:
            changes = {name: data[name] for name in form.changed_data if name in _PROJECT_FIELDS}
            saved, result = update_project_with_team(
                project=project, members=members, default_contacts=contacts, **changes
            )
        else:
            fields = {name: data[name] for name in form.fields if name in _PROJECT_FIELDS}
            saved, result = create_project(members=members, default_contacts=contacts, **fields)
        adopt_saved(project, saved)
        # The team service keeps who is on the team; what each one does has no
        # workflow, so it is written straight to the rows the service kept or made.
        for row in team.kept if team is not None else []:
            if row.changed:
                Membership.objects.filter(project=saved, user=row.values["user"]).update(
                    responsibility=row.values.get("responsibility", "")
                )
        if holds is not None:
            self.save_formset(request, form, holds, change=change)
            if holds.has_changed():
                result = merge_plan_results([result, plan_project_visits(project=saved)])
        _report_plan(self, request, result)

    @admin.action(description=_("Re-plan visits"), permissions=["change"])
    def replan_visits(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        projects = list(queryset.select_related("policy").prefetch_related("holds"))
        result = merge_plan_results(plan_project_visits(project=project) for project in projects)
        self.message_user(
            request,
            ngettext(
                "%(count)d project re-planned; %(summary)s.",
                "%(count)d projects re-planned; %(summary)s.",
                len(projects),
            )
            % {"count": len(projects), "summary": plan_summary(result)},
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "project", "responsibility", "joined_at")
    list_select_related = ("user", "project")
    search_fields = (
        "user__username",
        "user__display_name",
        "project__code",
        "project__name",
        "responsibility",
    )
    readonly_fields = ("project", "user", "joined_at")
    ordering = ("project__code", "user__username")

    # Who is on a team changes through the team service: members are added on the
    # project's page, and removing one here asks the service for the team without them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        self.delete_queryset(request, Membership.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        leaving: dict[int, set[int]] = defaultdict(set)
        for project_id, user_id in queryset.values_list("project_id", "user_id"):
            leaving[project_id].add(user_id)
        for project in Project.objects.filter(pk__in=leaving).prefetch_related("memberships__user"):
            staying = [
                membership.user
                for membership in project.memberships.all()
                if membership.user_id not in leaving[project.pk]
            ]
            set_project_team(project=project, members=staying)


@admin.register(ProjectHold)
class ProjectHoldAdmin(admin.ModelAdmin):
    """Holds edited on their own still re-plan their project: a hold removes the
    ongoing visits that would fall due during it."""

    list_display = ("project", "started_on", "ended_on", "reason")
    list_select_related = ("project",)
    date_hierarchy = "started_on"
    search_fields = ("project__code", "project__name", "reason")
    autocomplete_fields = ("project",)
    ordering = ("-started_on",)

    def save_model(self, request: HttpRequest, obj: ProjectHold, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _report_plan(self, request, plan_project_visits(project=obj.project))

    def delete_model(self, request: HttpRequest, obj: ProjectHold) -> None:
        project = obj.project
        super().delete_model(request, obj)
        _report_plan(self, request, plan_project_visits(project=project))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProjectHold]) -> None:
        projects = list(Project.objects.filter(holds__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        _report_plan(
            self,
            request,
            merge_plan_results(plan_project_visits(project=project) for project in projects),
        )
