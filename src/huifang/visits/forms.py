"""Forms of the visit pages. They parse and check input; the services in
:mod:`huifang.visits.recording` decide the business rules."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from huifang.actions.models import ActionStatus, ImprovementAction, VerificationResult
from huifang.core.concurrency import VersionedFormMixin
from huifang.core.forms import DateInput, DateTimeInput, cache_choices, guard_fields
from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.policy.models import ChecklistItem, PhaseChoices
from huifang.projects.models import Project
from huifang.visits.models import (
    ProblemCategory,
    ProblemStatus,
    RaisedBy,
    ScheduleStatus,
    Severity,
    VisitForm,
    VisitRecord,
    VisitStatus,
)

if TYPE_CHECKING:
    from huifang.visits.models import Visit

TEXTAREA = {"rows": 3}


def team_users(project: Project) -> QuerySet[User]:
    """The project's manager and members: whom visits and actions can be given to."""
    return (
        User.objects.filter(Q(pk=project.manager_id) | Q(project_memberships__project=project))
        .filter(is_active=True)
        .distinct()
        .order_by("username")
    )


def checklist_label(item: ChecklistItem) -> str:
    """The item's label in the user's language."""
    return item.label_zh if (get_language() or "").startswith("zh") else item.label_en


def _choices(form: forms.Form, name: str, queryset: QuerySet[Any]) -> forms.ModelChoiceField:
    """Limit a model choice field to ``queryset`` (e.g. the project's team)."""
    field = cast(forms.ModelChoiceField, form.fields[name])
    field.queryset = queryset
    return field


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


def _css_for(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, ``is-invalid`` on fields with errors.

    Unlike ``core.forms.StyledFormMixin`` it never reads ``self.errors`` in
    ``__init__``: that would validate the form before a subclass has finished its
    fields (a team's queryset, the checklist), and cache the wrong errors. Errors
    mark their field when they are added."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields)
        cache_choices(self.fields)
        for field in self.fields.values():
            widget = field.widget
            css = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{css} {_css_for(widget)}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    widget.attrs["class"] = f"{css} is-invalid".strip()


# --- The visits list --------------------------------------------------------------------


class VisitFilterForm(StyledForm):
    # A search by project code or name rather than a <select> of every visible
    # project (10,000 at enterprise scale); ``project`` (a hidden id) keeps links from
    # a project's page working.
    q = forms.CharField(label=_("Project"), required=False, max_length=100)
    project = forms.ModelChoiceField(
        label=_("Project"),
        queryset=Project.objects.none(),
        required=False,
        widget=forms.HiddenInput,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=_blank(VisitStatus.choices), required=False
    )
    phase = forms.ChoiceField(
        label=_("Phase"), choices=_blank(PhaseChoices.choices), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.filter(is_active=True), required=False
    )
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DateInput())
    due_to = forms.DateField(label=_("Due to"), required=False, widget=DateInput())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "project", projects)
        _choices(self, "owner", User.objects.filter(is_active=True).order_by("username"))
        self.fields["q"].widget.attrs["placeholder"] = _("Code or name")


# --- Booking a visit --------------------------------------------------------------------


class BookingForm(VersionedFormMixin, StyledForm):
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    form = forms.ChoiceField(label=_("Form"), choices=VisitForm.choices)
    contacts = forms.ModelMultipleChoiceField(
        label=_("Customer contacts"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Left empty, the visit keeps its contacts or invites the defaults."),
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Internal participants"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, visit: Visit, may_reassign: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project = visit.project
        _choices(
            self,
            "contacts",
            Contact.objects.filter(customer_id=project.customer_id).order_by("name"),
        )
        _choices(self, "participants", team_users(project))
        owner = _choices(self, "owner", team_users(project))
        # The visit's owner may fix their own appointment but not hand the visit on.
        owner.disabled = not may_reassign


class CancelForm(VersionedFormMixin, StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReassignForm(VersionedFormMixin, StyledForm):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "owner", team_users(project))


class AdhocVisitForm(StyledForm):
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    phase = forms.ChoiceField(
        label=_("Phase"), choices=PhaseChoices.choices, initial=PhaseChoices.ONGOING
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "owner", team_users(project))


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Photo or signed minutes"),
        help_text=_("JPEG, PNG, WEBP or PDF, up to 10 MB."),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": "image/jpeg,image/png,image/webp,.pdf"}
        ),
    )


# --- The record -------------------------------------------------------------------------


class _ChecklistMixin:
    fields: dict[str, forms.Field]

    def add_checklist(self, items: list[ChecklistItem], initial: dict[str, bool]) -> None:
        self.checklist_items = items
        for item in items:
            self.fields[f"check_{item.key}"] = forms.BooleanField(
                label=checklist_label(item), required=False, initial=initial.get(item.key, False)
            )

    def checklist_value(self, cleaned: dict[str, Any]) -> dict[str, bool]:
        return {item.key: bool(cleaned.get(f"check_{item.key}")) for item in self.checklist_items}

    def checklist_fields(self) -> list[Any]:
        return [self[f"check_{item.key}"] for item in self.checklist_items]  # type: ignore[index]


class RecordForm(_ChecklistMixin, StyledForm):
    """Progress, the phase's checklist and the summary; the record's own fields."""

    revision = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    work_completed = forms.CharField(
        label=_("Work completed"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    work_outstanding = forms.CharField(
        label=_("Work outstanding"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    schedule_status = forms.ChoiceField(
        label=_("Schedule status"), choices=_blank(ScheduleStatus.choices), required=False
    )
    percent_complete = forms.IntegerField(
        label=_("Percent complete"), min_value=0, max_value=100, required=False
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    completed_on = forms.DateField(
        label=_("The visit took place on"),
        required=False,
        widget=DateInput(),
        help_text=_("Used when submitting; today if left empty."),
    )

    def __init__(
        self, *args: Any, checklist: list[ChecklistItem], checked: dict[str, bool], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.add_checklist(checklist, checked)
        for name in self.fields:
            if name.startswith("check_"):
                self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean_completed_on(self) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data.get("completed_on")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("A visit cannot be completed on a future date."))
        return day

    def record_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "work_completed": data["work_completed"],
            "work_outstanding": data["work_outstanding"],
            "schedule_status": data["schedule_status"],
            "percent_complete": data["percent_complete"],
            "summary": data["summary"],
            "checklist": self.checklist_value(data),
        }


class RecordHowForm(StyledForm):
    """How the visit took place and who took part: the record form starts from the
    appointment (the visit's form, contacts and participants) and the user corrects
    it. Its fields share the record form's prefix."""

    form = forms.ChoiceField(
        label=_("Form of the visit"), choices=_blank(VisitForm.choices), required=False
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("The customer's contacts"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Our staff"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(
            self,
            "contacts",
            Contact.objects.filter(customer_id=project.customer_id).order_by("name"),
        )
        _choices(self, "participants", team_users(project))


class ProblemForm(StyledForm):
    # The problem this row shows, so a save updates it in place (its id, and the
    # actions linked to it, survive); empty for a new row.
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    category = forms.ChoiceField(
        label=_("Category"), choices=_blank(ProblemCategory.choices), required=False
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    raised_by = forms.ChoiceField(
        label=_("Raised by"), choices=RaisedBy.choices, initial=RaisedBy.CUSTOMER
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Not required: a post from a page without the field (an older page) keeps the
    # default, as the API does.
    status = forms.ChoiceField(
        label=_("Status"), choices=ProblemStatus.choices, initial=ProblemStatus.OPEN, required=False
    )
    resolution = forms.CharField(
        label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A row without a description is an unused row; a category alone is a
        # half-filled one the user should finish.
        if data.get("category") and not (data.get("description") or "").strip():
            self.add_error("description", _("Describe the problem."))
        if (data.get("description") or "").strip() and not data.get("category"):
            self.add_error("category", _("Choose a category."))
        return data

    def spec(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not (data.get("description") or "").strip():
            return None
        spec = {
            "category": data["category"],
            "severity": data["severity"],
            "raised_by": data["raised_by"],
            "description": data["description"],
            "status": data.get("status") or ProblemStatus.OPEN,
            "resolution": data.get("resolution") or "",
        }
        if data.get("id"):
            spec["id"] = data["id"]
        return spec


class ActionForm(StyledForm):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(
        label=_("Improvement measure"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "owner", team_users(project))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("description") or "").strip():
            if not data.get("owner") and "owner" not in self.errors:
                self.add_error("owner", _("Choose who carries the measure out."))
            if not data.get("due_date") and "due_date" not in self.errors:
                self.add_error("due_date", _("Give the measure a due date."))
        return data

    def spec(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not (data.get("description") or "").strip():
            return None
        spec = {
            "description": data["description"],
            "owner": data["owner"],
            "due_date": data["due_date"],
        }
        if data.get("id"):
            spec["id"] = data["id"]
        return spec


ProblemFormSet = forms.formset_factory(ProblemForm, extra=1)
ActionFormSet = forms.formset_factory(ActionForm, extra=1)

SCORE5 = [("", "—"), *((i, str(i)) for i in range(1, 6))]
SCORE10 = [("", "—"), *((i, str(i)) for i in range(0, 11))]


def _score(label: Any, choices: list[Any]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=choices, coerce=int, empty_value=None, required=False
    )


class FeedbackForm(StyledForm):
    overall_satisfaction = _score(_("Overall satisfaction (1–5)"), SCORE5)
    quality_satisfaction = _score(_("Quality (1–5)"), SCORE5)
    schedule_satisfaction = _score(_("Schedule (1–5)"), SCORE5)
    communication_satisfaction = _score(_("Communication (1–5)"), SCORE5)
    service_satisfaction = _score(_("Service (1–5)"), SCORE5)
    likelihood_to_recommend = _score(_("Likelihood to recommend (0–10)"), SCORE10)
    evaluation = forms.CharField(
        label=_("Evaluation of the results"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    suggestions = forms.CharField(
        label=_("Suggestions"), required=False, widget=forms.Textarea(attrs=TEXTAREA)
    )
    requirement_changes = forms.CharField(
        label=_("New or changed requirements"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    respondent = forms.ModelChoiceField(
        label=_("Respondent"), queryset=Contact.objects.none(), required=False
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(
            self,
            "respondent",
            Contact.objects.filter(customer_id=project.customer_id).order_by("name"),
        )

    def spec(self) -> dict[str, Any] | None:
        """The feedback to keep, or ``None`` when the customer gave none."""
        data = self.cleaned_data
        if not any(value not in (None, "") for value in data.values()):
            return None
        return dict(data)


class VerificationForm(StyledForm):
    """The verdict on one earlier action of the project."""

    result = forms.ChoiceField(label=_("Verdict"), required=False)
    new_due_date = forms.DateField(label=_("New due date"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args: Any, action: ImprovementAction, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"verify-{action.pk}", **kwargs)
        self.action = action
        choices: list[tuple[str, Any]] = [("", _("Not verified at this visit"))]
        if action.status == ActionStatus.DONE:
            choices += [
                (VerificationResult.EFFECTIVE, _("Effective (close it)")),
                (VerificationResult.NOT_EFFECTIVE, _("Not effective (reopen with a new due date)")),
            ]
        choices.append((VerificationResult.NOT_YET, _("Not yet verifiable")))
        cast(forms.ChoiceField, self.fields["result"]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("result") == VerificationResult.NOT_EFFECTIVE and not data.get("new_due_date"):
            self.add_error("new_due_date", _("An action found not effective needs a new due date."))
        return data

    def spec(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("result"):
            return None
        return {
            "action": self.action,
            "result": data["result"],
            "note": data.get("note") or "",
            "new_due_date": data.get("new_due_date"),
        }


# --- Amending a submitted record --------------------------------------------------------

AMENDABLE = (
    "form",
    "work_completed",
    "work_outstanding",
    "schedule_status",
    "percent_complete",
    "summary",
)


class AmendmentForm(VersionedFormMixin, _ChecklistMixin, StyledForm):
    reason = forms.CharField(
        label=_("Reason for the correction"), widget=forms.Textarea(attrs={"rows": 2})
    )
    form = RecordHowForm.base_fields["form"]
    work_completed = RecordForm.base_fields["work_completed"]
    work_outstanding = RecordForm.base_fields["work_outstanding"]
    schedule_status = RecordForm.base_fields["schedule_status"]
    percent_complete = RecordForm.base_fields["percent_complete"]
    summary = RecordForm.base_fields["summary"]

    def __init__(
        self, *args: Any, record: VisitRecord, checklist: list[ChecklistItem], **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {name: getattr(record, name) for name in AMENDABLE})
        super().__init__(*args, **kwargs)
        self.record = record
        self.add_checklist(checklist, record.checklist or {})
        for name in self.fields:
            if name.startswith("check_"):
                self.fields[name].widget.attrs["class"] = "form-check-input"

    def _stored(self, name: str) -> Any:
        value = getattr(self.record, name)
        # NULL in a record made before the form of the visit was kept: "" alike.
        return (value or "") if name == "form" else value

    def changes(self) -> dict[str, Any]:
        """Only what differs from the record: an amendment names what it corrects."""
        data = self.cleaned_data
        changes = {name: data[name] for name in AMENDABLE if data[name] != self._stored(name)}
        if self.checklist_items:
            checklist = self.checklist_value(data)
            if checklist != {
                key: bool((self.record.checklist or {}).get(key)) for key in checklist
            }:
                changes["checklist"] = {**(self.record.checklist or {}), **checklist}
        return changes
