"""Forms of the policy pages: a draft's settings, its rules and checklist, publishing
and the company's own days."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.core.concurrency import VersionedFormMixin
from huifang.core.forms import DateInput, StyledFormMixin
from huifang.core.holiday_ics import MAX_ICS_BYTES
from huifang.core.holiday_notice import MAX_TEXT_CHARS
from huifang.policy.models import (
    AnchorChoices,
    CompanyDay,
    CompanyDayKind,
    PhaseChoices,
    PolicyVersion,
)
from huifang.policy.services import DRAFT_SETTINGS, ChecklistEntry, RuleSetting


class DraftSettingsForm(VersionedFormMixin, StyledFormMixin, forms.ModelForm):
    """The draft's settings; its version covers the whole draft page (rules and
    checklist included)."""

    class Meta:
        model = PolicyVersion
        fields = DRAFT_SETTINGS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        manager = cleaned.get("escalate_to_manager_days")
        quality = cleaned.get("escalate_to_quality_days")
        if manager is not None and quality is not None and quality < manager:
            self.add_error(
                "escalate_to_quality_days",
                _("Escalate to quality managers no earlier than to the project manager."),
            )
        return cleaned


class RuleForm(StyledFormMixin, forms.Form):
    """One phase's rule; the phase is fixed by the form's prefix."""

    enabled = forms.BooleanField(label=_("In use"), required=False)
    anchor = forms.ChoiceField(label=_("Anchor"), choices=AnchorChoices.choices)
    offset_days = forms.IntegerField(
        label=_("Offset days"),
        min_value=-365,
        max_value=365,
        help_text=_("The window opens this many days after the anchor (negative: before)."),
    )
    window_days = forms.IntegerField(
        label=_("Window days"),
        min_value=0,
        max_value=365,
        help_text=_("The visit is due this many days after the window opens."),
    )

    def __init__(self, *args: Any, phase: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phase = phase
        self.phase_label = PhaseChoices(phase).label
        if phase == "kickoff":
            # The plan hangs off the kickoff visit: it cannot be switched off.
            self.fields["enabled"].disabled = True
        if phase == "ongoing":
            # The ongoing cadence follows each project's setting from the kickoff due
            # date; only whether there are ongoing visits is a policy choice.
            for name in ("anchor", "offset_days", "window_days"):
                self.fields[name].required = False
                self.fields[name].widget = forms.HiddenInput()
        # StyledFormMixin already validated the bound form (to mark invalid fields)
        # with the fields as declared; validate again with the phase's fields.
        self._errors = None

    def setting(self) -> RuleSetting:
        data = self.cleaned_data
        if self.phase == "ongoing":
            return RuleSetting(phase="ongoing", enabled=bool(data.get("enabled")), window_days=0)
        return RuleSetting(
            phase=self.phase,
            enabled=self.phase == "kickoff" or bool(data["enabled"]),
            anchor=data["anchor"],
            offset_days=data["offset_days"],
            window_days=data["window_days"],
        )


class ChecklistItemForm(StyledFormMixin, forms.Form):
    key = forms.CharField(required=False, widget=forms.HiddenInput())
    # A blank first choice, so an untouched extra row counts as unchanged (and empty).
    phase = forms.ChoiceField(label=_("Phase"), choices=[("", "—"), *PhaseChoices.choices])
    label_zh = forms.CharField(label=_("Item (Chinese)"), max_length=200)
    label_en = forms.CharField(label=_("Item (English)"), max_length=200)

    def entry(self) -> ChecklistEntry:
        data = self.cleaned_data
        return ChecklistEntry(
            phase=data["phase"],
            label_zh=data["label_zh"],
            label_en=data["label_en"],
            key=data.get("key", ""),
        )


class BaseChecklistFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        # StyledFormMixin validated the bound form before the formset added its
        # DELETE field; validate again so the field counts.
        form._errors = None  # type: ignore[attr-defined]


ChecklistFormSet = forms.formset_factory(
    ChecklistItemForm, formset=BaseChecklistFormSet, extra=1, can_delete=True
)


class PublishForm(VersionedFormMixin, StyledFormMixin, forms.Form):
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput())
    change_note = forms.CharField(
        label=_("Change note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What changed and why, for everyone who reads the versions list."),
    )


class NewDraftForm(StyledFormMixin, forms.Form):
    change_note = forms.CharField(
        label=_("Why a new version?"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompanyDayForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CompanyDay
        fields = ("date", "kind", "name")
        widgets = {"date": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = CompanyDayKind.choices  # type: ignore[attr-defined]

    def validate_unique(self) -> None:
        # The service says which kind the date already is; the model's generic
        # "already exists" message would not.
        pass


class NoticeForm(StyledFormMixin, forms.Form):
    """The State Council's notice, pasted as published."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    text = forms.CharField(
        label=_("Text of the notice"),
        max_length=MAX_TEXT_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "lang": "zh-Hans", "spellcheck": "false"}),
        help_text=_(
            "Paste the State Council General Office's whole notice on the year's holidays as "
            "published; the title, preamble and signature are ignored."
        ),
    )


class IcsForm(StyledFormMixin, forms.Form):
    """A holiday calendar file, as calendar subscriptions export them."""

    file = forms.FileField(label=_("Calendar file (.ics)"))
    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        max_value=2100,
        required=False,
        help_text=_("Leave empty to load every year in the file."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_ICS_BYTES:
            raise forms.ValidationError(_("The file is too large for a holiday calendar."))
        return upload
