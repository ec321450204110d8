"""Admin views of surveys: read-only, because every write has a service (and a token
can never be recovered here: only its hash is stored)."""

from __future__ import annotations

from django.contrib import admin

from huifang.core.admin import ReadOnlyAdminMixin
from huifang.surveys.models import (
    Question,
    Questionnaire,
    SurveyInvitation,
    SurveyLink,
    SurveyResponse,
)


class QuestionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Question
    extra = 0
    fields = ("position", "key", "kind", "required", "text_zh", "text_en", "maps_to")


@admin.register(Questionnaire)
class QuestionnaireAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "title_zh", "title_en", "created_at")
    inlines = [QuestionInline]


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("contact", "project", "visit", "sent_at", "opened_at", "responded_at")
    list_filter = ("language",)
    search_fields = ("contact__name", "project__code", "project__name")
    list_select_related = ("contact", "project", "visit")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("invitation", "language", "submitted_at")
    list_select_related = ("invitation__contact", "invitation__visit")


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("key", "questionnaire", "kind", "required", "text_en")
    list_select_related = ("questionnaire",)
    search_fields = ("key", "text_zh", "text_en")


@admin.register(SurveyLink)
class SurveyLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Only the hash is stored: the admin can see that a link exists, never open it.
    list_display = ("invitation", "created_at")
    list_select_related = ("invitation__contact", "invitation__visit")
    exclude = ("token_hash",)
