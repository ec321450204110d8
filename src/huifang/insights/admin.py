from django.contrib import admin

from huifang.insights.models import (
    Meeting,
    PolicyAcknowledgement,
    Review,
    Suggestion,
    TrainingAttendance,
    TrainingSession,
)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("title", "period_start", "period_end", "created_by", "created_at")
    readonly_fields = ("metrics",)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("date", "title", "created_by")


@admin.register(PolicyAcknowledgement)
class PolicyAcknowledgementAdmin(admin.ModelAdmin):
    list_display = ("user", "version", "acknowledged_at")


class AttendanceInline(admin.TabularInline):
    model = TrainingAttendance
    extra = 0


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ("date", "topic", "trainer")
    inlines = [AttendanceInline]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("author", "status", "created_at")
    list_filter = ("status",)


@admin.register(TrainingAttendance)
class TrainingAttendanceAdmin(admin.ModelAdmin):
    list_display = ("session", "user", "score")
