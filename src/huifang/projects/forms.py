"""Forms of the project pages: the list's filters, create/edit and status changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huifang.core.access import can_choose_any_manager
from huifang.core.concurrency import VersionedFormMixin
from huifang.core.forms import DateInput, OptionAttrsSelectMixin, StyledFormMixin
from huifang.core.models import User
from huifang.customers.forms import restyle
from huifang.customers.models import Contact, Customer
from huifang.projects.models import Project, ProjectStatusChoices
from huifang.projects.queries import ProjectFilters, assignable_managers, assignable_members
from huifang.projects.services import DATE_FIELDS, project_date_errors


class ProjectFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ProjectStatusChoices.choices],
    )
    manager = forms.ModelChoiceField(
        label=_("Project manager"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Any manager"),
    )
    # Customers are found through ``q`` (it matches customer names): a <select> of
    # every customer would be 2,000 options at enterprise scale. ``customer`` (a hidden
    # id) keeps links that filter by one customer working.
    customer = forms.ModelChoiceField(
        label=_("Customer"),
        required=False,
        queryset=Customer.objects.none(),
        widget=forms.HiddenInput,
    )
    department = forms.ChoiceField(label=_("Department"), required=False)
    overdue = forms.BooleanField(label=_("Has overdue visits"), required=False)

    def __init__(
        self,
        *args: Any,
        managers: QuerySet[User],
        customers: QuerySet[Customer],
        departments: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers  # type: ignore[attr-defined]
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", _("Any department")),
            *((name, name) for name in departments),
        ]
        restyle(self)

    def filters(self) -> ProjectFilters:
        data = self.cleaned_data if self.is_valid() else {}
        customer = data.get("customer")
        return ProjectFilters(
            search=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            manager=data.get("manager"),
            customer_id=customer.pk if customer else None,
            department=data.get("department") or "",
            has_overdue=bool(data.get("overdue")),
        )


class ContactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.customer.name} · {obj}"


class ContactSelect(OptionAttrsSelectMixin, forms.SelectMultiple):
    """Each option carries its customer, so project_form.js can show only the contacts
    of the customer picked above (the server checks it again)."""

    def option_attrs(self, instance: Any) -> dict[str, str]:
        return {"data-customer": str(instance.customer_id)}


class ProjectForm(StyledFormMixin, forms.ModelForm):
    """Create and edit. Writes go through the services; this form only parses."""

    members = forms.ModelMultipleChoiceField(
        label=_("Team members"), required=False, queryset=User.objects.none()
    )
    default_contacts = ContactChoiceField(
        label=_("Default contacts"),
        required=False,
        queryset=Contact.objects.none(),
        widget=ContactSelect(attrs={"size": 6}),
        help_text=_("The customer's people a visit is held with unless chosen otherwise."),
    )

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "customer",
            "manager",
            "department",
            "description",
            "status",
            "cadence",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "policy",
        ]
        widgets = {
            "planned_start": DateInput(),
            "planned_end": DateInput(),
            "actual_start": DateInput(),
            "actual_end": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args: Any, user: User, customers: QuerySet[Customer], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["members"].queryset = assignable_members()  # type: ignore[attr-defined]
        self.fields["default_contacts"].queryset = (  # type: ignore[attr-defined]
            Contact.objects.filter(customer__in=customers).select_related("customer")
        )
        # A project manager creates projects they manage themselves.
        managers = assignable_managers()
        if not can_choose_any_manager(user):
            managers = managers.filter(pk=user.pk)
        if self.instance.pk:
            managers = managers | User.objects.filter(pk=self.instance.manager_id)
            self.fields["members"].initial = [
                membership.user_id for membership in self.instance.memberships.all()
            ]
            self.fields["default_contacts"].initial = [
                contact.pk for contact in self.instance.default_contacts.all()
            ]
        else:
            self.fields["manager"].initial = user.pk
        self.fields["manager"].queryset = managers.distinct()  # type: ignore[attr-defined]
        # Hold, resume, complete and cancel are explicit buttons on the edit page,
        # each with its own rule; the form only moves between planned and active.
        status = self.instance.status if self.instance.pk else ProjectStatusChoices.PLANNED
        if status in (ProjectStatusChoices.PLANNED, ProjectStatusChoices.ACTIVE):
            self.fields["status"].choices = [  # type: ignore[attr-defined]
                (ProjectStatusChoices.PLANNED, ProjectStatusChoices.PLANNED.label),
                (ProjectStatusChoices.ACTIVE, ProjectStatusChoices.ACTIVE.label),
            ]
        else:
            del self.fields["status"]
        restyle(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        customer = cleaned.get("customer")
        contacts = cleaned.get("default_contacts") or []
        if customer is not None and any(c.customer_id != customer.pk for c in contacts):
            self.add_error("default_contacts", _("Choose only contacts of the project's customer."))
        # The service checks the same limits; here they land next to their fields.
        values = {
            name: cleaned.get(name, getattr(self.instance, name, None)) for name in DATE_FIELDS
        }
        changed = self.changed_data if self.instance.pk else DATE_FIELDS
        errors = project_date_errors(values=values, changed=changed, today=timezone.localdate())
        for name, message in errors.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def project_fields(self) -> dict[str, Any]:
        """The cleaned model fields (for create)."""
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields or []
            if name in self.cleaned_data
        }

    def changed_fields(self) -> dict[str, Any]:
        """Only the model fields the user changed (for update: only those re-plan)."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in (self._meta.fields or []) and name in self.cleaned_data
        }


class ProjectEditForm(VersionedFormMixin, ProjectForm):
    """Edit: with the version of the project the user saw."""


# The status buttons of the edit page carry the same version as its form.


class HoldForm(VersionedFormMixin, StyledFormMixin, forms.Form):
    prefix = "hold"  # shares the edit page with the project form
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class CompleteForm(VersionedFormMixin, StyledFormMixin, forms.Form):
    prefix = "complete"  # the project form has its own actual_end field
    actual_end = forms.DateField(label=_("Actual end"), widget=DateInput())
