"""Admin for customers and the contacts we visit.

Customers and contacts are written through :mod:`huifang.customers.services`, which
owns the unique name (case-insensitive) and the one-primary-contact rule, including
moving the primary flag from one contact to another in a single save.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from huifang.core.admin import ServiceModelAdmin, adopt_saved, inline_rows
from huifang.customers.models import Contact, Customer
from huifang.customers.services import (
    CUSTOMER_FIELDS,
    create_customer,
    save_contacts,
    update_customer,
)

_CONTACT_FIELDS = (
    "name",
    "title",
    "phone",
    "email",
    "wechat_id",
    "preferred_channel",
    "language",
    "is_primary",
)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = _CONTACT_FIELDS

    def _get_validation_exclusions(self) -> Any:
        # The one-primary rule is the service's: it clears the old flag before setting
        # the new one. Checked by the form against the database, adding a contact as
        # the primary one would be refused because the old one still is.
        return {*super()._get_validation_exclusions(), "is_primary"}  # type: ignore[misc]


class ContactInline(admin.TabularInline):
    model = Contact
    form = ContactForm
    fields = _CONTACT_FIELDS
    extra = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(ServiceModelAdmin):
    list_display = ("name", "industry", "contact_count", "project_count", "created_at")
    list_filter = ("industry",)
    search_fields = ("name", "industry", "address", "contacts__name", "contacts__email")
    ordering = ("name",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (ContactInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        # Counted in the list query itself, not with a query per row.
        return (
            super()
            .get_queryset(request)
            .annotate(
                contact_count=Count("contacts", distinct=True),
                project_count=Count("projects", distinct=True),
            )
        )

    @admin.display(description=_("contacts"), ordering="contact_count")
    def contact_count(self, obj: Customer) -> int:
        return int(getattr(obj, "contact_count", 0))

    @admin.display(description=_("projects"), ordering="project_count")
    def project_count(self, obj: Customer) -> int:
        return int(getattr(obj, "project_count", 0))

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in CUSTOMER_FIELDS}
            if changes:
                adopt_saved(obj, update_customer(customer=obj, **changes))
            return
        fields = {name: data[name] for name in form.fields if name in CUSTOMER_FIELDS}
        adopt_saved(obj, create_customer(**fields))

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[Customer],
        formsets: list[BaseInlineFormSet],
        change: bool,
    ) -> None:
        form.save_m2m()
        for formset in formsets:
            rows = inline_rows(formset, _CONTACT_FIELDS)
            changed = [row for row in rows.kept if row.changed]
            if changed or rows.removed:
                save_contacts(
                    customer=form.instance,
                    contacts=[(cast(Contact | None, row.instance), row.values) for row in changed],
                    removed=cast(list[Contact], rows.removed),
                )


@admin.register(Contact)
class ContactAdmin(ServiceModelAdmin):
    form = ContactForm
    list_display = (
        "name",
        "customer",
        "title",
        "phone",
        "email",
        "preferred_channel",
        "language",
        "is_primary",
    )
    list_select_related = ("customer",)
    list_filter = ("preferred_channel", "language", "is_primary")
    search_fields = ("name", "title", "phone", "email", "wechat_id", "customer__name")
    autocomplete_fields = ("customer",)
    ordering = ("customer__name", "-is_primary", "name")
    fields = ("customer", *_CONTACT_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Contact | None = None) -> Any:
        # A contact belongs to one customer for good; a new one is added to another.
        return () if obj is None else ("customer",)

    def save_model(self, request: HttpRequest, obj: Contact, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in _CONTACT_FIELDS}
        customer = form.cleaned_data["customer"] if not change else obj.customer
        (saved,) = save_contacts(customer=customer, contacts=[(obj if change else None, values)])
        adopt_saved(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Contact) -> None:
        save_contacts(customer=obj.customer, contacts=[], removed=[obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Contact]) -> None:
        by_customer: dict[Customer, list[Contact]] = defaultdict(list)
        for contact in queryset.select_related("customer"):
            by_customer[contact.customer].append(contact)
        for customer, contacts in by_customer.items():
            save_contacts(customer=customer, contacts=[], removed=contacts)
