"""Forms of the improvement action pages: the filters of the board and the list, a
progress note and "done"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.actions.models import ActionStatus
from huifang.actions.queries import ActionFilters
from huifang.core.forms import DateInput, StyledFormMixin
from huifang.core.models import User
from huifang.projects.models import Project

if TYPE_CHECKING:
    from huifang.core.access import AnyUser


class ActionFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ActionStatus.choices],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("Anyone")
    )
    # Projects are found through ``q`` (code or name): a <select> of every visible
    # project would be 10,000 options at enterprise scale. ``project`` (a hidden id)
    # keeps links that filter by one project working.
    project = forms.ModelChoiceField(
        label=_("Project"),
        required=False,
        queryset=Project.objects.none(),
        widget=forms.HiddenInput,
    )
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DateInput())
    due_to = forms.DateField(label=_("Due to"), required=False, widget=DateInput())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Mine"), required=False)
    # Drill-downs from the management home (hidden: the page says what they are).
    department = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    manager = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        due_from, due_to = data.get("due_from"), data.get("due_to")
        if due_from and due_to and due_from > due_to:
            self.add_error("due_to", _("The end of the range comes before its start."))
        return data

    def filters(self) -> ActionFilters:
        """The valid filters; an invalid form filters nothing."""
        if not self.is_bound or not self.is_valid():
            return ActionFilters()
        data = self.cleaned_data
        return ActionFilters(
            status=data["status"],
            owner_id=data["owner"].pk if data["owner"] else None,
            project_id=data["project"].pk if data["project"] else None,
            due_from=data["due_from"],
            due_to=data["due_to"],
            overdue_only=data["overdue"],
            mine=data["mine"],
            search=data["q"].strip(),
            department=data["department"].strip(),
            manager_id=data["manager"],
        )

    def drilldown(self) -> str:
        """What the hidden drill-down filters limit the actions to, in words ("" when
        they don't)."""
        filters = self.filters()
        parts = []
        if filters.department:
            parts.append(_("department %(name)s") % {"name": filters.department})
        if filters.manager_id is not None:
            manager = User.objects.filter(pk=filters.manager_id).first()
            name = str(manager) if manager else str(filters.manager_id)
            parts.append(_("projects managed by %(name)s") % {"name": name})
        return "; ".join(parts)


class ActionProgressForm(StyledFormMixin, forms.Form):
    prefix = "progress"  # both forms share one page
    note = forms.CharField(
        label=_("Progress note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (ActionStatus.IN_PROGRESS.value, ActionStatus.IN_PROGRESS.label),
            (ActionStatus.OPEN.value, ActionStatus.OPEN.label),
        ],
        initial=ActionStatus.IN_PROGRESS,
    )
    # The revision the user saw: a stale form is refused instead of overwriting.
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ActionDoneForm(StyledFormMixin, forms.Form):
    prefix = "done"
    note = forms.CharField(
        label=_("How it was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    done_on = forms.DateField(
        label=_("Done on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for today."),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
