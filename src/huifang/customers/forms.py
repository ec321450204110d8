"""Forms of the customer pages: search, the customer and its contacts (a formset)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.core.concurrency import VersionedFormMixin
from huifang.core.forms import LanguageSelect, StyledFormMixin
from huifang.customers.models import Contact, Customer
from huifang.customers.services import CONTACT_FIELDS, ContactRow


def restyle(form: forms.BaseForm) -> None:
    """Validate again after ``__init__`` narrowed the choices.

    StyledFormMixin reads ``errors`` while the form is being built, i.e. before a
    subclass sets its querysets, so a bound form would be validated against empty
    choices. Dropping the cached errors makes the next access validate for real."""
    form._errors = None  # type: ignore[attr-defined]
    for name, field in form.fields.items():
        classes = field.widget.attrs.get("class", "").split()
        classes = [css for css in classes if css != "is-invalid"]
        if form.is_bound and name in form.errors:
            classes.append("is-invalid")
        field.widget.attrs["class"] = " ".join(classes)


class CustomerSearchForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class CustomerForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "industry", "address", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class CustomerEditForm(VersionedFormMixin, CustomerForm):
    """The edit page's form: with the version of the customer the user saw."""


class ContactForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "name",
            "title",
            "phone",
            "email",
            "wechat_id",
            "preferred_channel",
            "language",
            "is_primary",
        ]
        widgets = {"language": LanguageSelect}


if TYPE_CHECKING:
    _InlineFormSet = forms.BaseInlineFormSet[Contact, Customer, ContactForm]
else:  # the generic alias exists for the type checker only
    _InlineFormSet = forms.BaseInlineFormSet


class BaseContactFormSet(_InlineFormSet):
    def _is_deleted(self, form: forms.BaseForm) -> bool:
        return bool(self._should_delete_form(form))  # type: ignore[attr-defined]

    def add_fields(self, form: ContactForm, index: int | None) -> None:
        super().add_fields(form, index)
        # The id and DELETE fields arrive after the form validated itself.
        restyle(form)

    def clean(self) -> None:
        super().clean()
        primaries = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._is_deleted(form):
                continue
            if form.cleaned_data.get("is_primary"):
                primaries += 1
        if primaries > 1:
            raise forms.ValidationError(_("Only one contact can be the primary contact."))

    def rows(self) -> list[ContactRow]:
        """(existing contact or None, values) for every contact kept or added."""
        rows: list[ContactRow] = []
        for form in self.forms:
            if self._is_deleted(form):
                continue
            is_new = form.instance.pk is None
            if is_new and not form.has_changed():
                continue
            values = {name: form.cleaned_data[name] for name in sorted(CONTACT_FIELDS)}
            rows.append((None if is_new else form.instance, values))
        return rows

    def removed(self) -> list[Contact]:
        return [
            form.instance
            for form in self.forms
            if form.instance.pk is not None and self._is_deleted(form)
        ]


ContactFormSet = forms.inlineformset_factory(
    Customer,
    Contact,
    form=ContactForm,
    formset=BaseContactFormSet,
    extra=1,
    can_delete=True,
)


def contact_formset(data: Any, instance: Customer | None) -> BaseContactFormSet:
    formset = ContactFormSet(data, instance=instance or Customer(), prefix="contacts")
    return cast(BaseContactFormSet, formset)
