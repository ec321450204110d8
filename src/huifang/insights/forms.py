"""Forms of the evaluation pages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huifang.core.concurrency import VersionedFormMixin
from huifang.core.forms import DateInput, StyledFormMixin
from huifang.core.models import User
from huifang.customers.models import Customer
from huifang.insights.models import Suggestion, SuggestionStatus, TrainingSession
from huifang.policy.models import PhaseChoices
from huifang.projects.models import Project


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last twelve months up to today (from the first day of the month a year ago)."""
    year, month = (today.year, 1) if today.month == 12 else (today.year - 1, today.month + 1)
    return datetime.date(year, month, 1), today


class PeriodForm(StyledFormMixin, forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    date_to = forms.DateField(label=_("To"), widget=DateInput(), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The period must end on or after the day it starts."))
        return cleaned

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The chosen period, or the default one when the form is empty or invalid."""
        start, end = default_period(timezone.localdate())
        if self.is_bound and self.is_valid():
            start = self.cleaned_data.get("date_from") or start
            end = self.cleaned_data.get("date_to") or end
        return start, end


def _staff() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"), label=_("Owner")
    )


class ReviewForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    period_start = forms.DateField(label=_("Period from"), widget=DateInput())
    period_end = forms.DateField(label=_("Period to"), widget=DateInput())
    project = forms.ModelChoiceField(
        queryset=Project.objects.order_by("code"), required=False, label=_("Project")
    )
    manager = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("Project manager"),
    )
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.order_by("name"), required=False, label=_("Customer")
    )
    department = forms.CharField(label=_("Department"), max_length=80, required=False)
    phase = forms.ChoiceField(
        label=_("Phase"), choices=[("", "—"), *PhaseChoices.choices], required=False
    )
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea, required=False)
    decisions = forms.CharField(label=_("Decisions"), widget=forms.Textarea, required=False)


class ReviewTextForm(VersionedFormMixin, StyledFormMixin, forms.Form):
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea, required=False)
    decisions = forms.CharField(label=_("Decisions"), widget=forms.Textarea, required=False)


class ActionItemForm(StyledFormMixin, forms.Form):
    project = forms.ModelChoiceField(
        queryset=Project.objects.exclude(status="cancelled").order_by("code"), label=_("Project")
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea)
    owner = _staff()
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())


class PolicyRevisionForm(StyledFormMixin, forms.Form):
    change_note = forms.CharField(label=_("What should change and why"), widget=forms.Textarea)


class MeetingForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    title = forms.CharField(label=_("Title"), max_length=200)
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("Attendees"),
    )
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea, required=False)


class TrainingForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    topic = forms.CharField(label=_("Topic"), max_length=200)
    trainer = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("Trainer"),
    )
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("Attendees"),
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea, required=False)


class ScoresForm(VersionedFormMixin, StyledFormMixin, forms.Form):
    """One score field (0–100, blank allowed) per attendee of a session."""

    def __init__(self, *args: Any, session: TrainingSession, **kwargs: Any) -> None:
        self.rows = list(session.attendance.select_related("user"))
        super().__init__(*args, **kwargs)
        for row in self.rows:
            self.fields[f"score_{row.user_id}"] = forms.IntegerField(
                label=str(row.user),
                min_value=0,
                max_value=100,
                required=False,
                initial=row.score,
            )

    def scores(self) -> dict[int, int | None]:
        return {row.user_id: self.cleaned_data.get(f"score_{row.user_id}") for row in self.rows}


class SuggestionForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Your suggestion"), widget=forms.Textarea)


class AnswerForm(VersionedFormMixin, StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (SuggestionStatus.ADOPTED.value, SuggestionStatus.ADOPTED.label),
            (SuggestionStatus.DECLINED.value, SuggestionStatus.DECLINED.label),
        ],
    )
    response = forms.CharField(label=_("Response"), widget=forms.Textarea)


__all__ = ["Suggestion"]
