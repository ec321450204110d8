"""Form helpers shared by every app's forms."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.exceptions import EmptyResultSet, ValidationError
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from huifang.core import dataversion

# The dates a person can mean. Python's calendar ends at years 1 and 9999, where
# converting a time to UTC or planning a visit 30 days later overflows: a server error
# for a typo. Refused in the form, next to the field.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)


def validate_plausible_date(value: datetime.date) -> None:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


# The largest id a database column holds. SQLite cannot even compare with a larger
# integer: Django's check of a multiple choice (``pk__in``) raised OverflowError there.
LARGEST_ID = 2**63 - 1


def _refuse_huge_ids(field: forms.ModelMultipleChoiceField) -> None:
    clean = field.clean

    def checked_clean(value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else []:
            text = str(pk).strip().lstrip("+-")
            # (A string of 20 digits or more is too large; int() of a very long one fails.)
            if text.isdigit() and (len(text) >= 20 or int(text) > LARGEST_ID):
                raise ValidationError(
                    field.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return clean(value)

    field.clean = checked_clean  # type: ignore[method-assign]


def guard_fields(fields: dict[str, forms.Field]) -> None:
    """Refuse, as field errors, the input a field would pass on to the database to fail
    there: dates no one can mean and ids no table can hold."""
    for field in fields.values():
        temporal = isinstance(field, forms.DateField | forms.DateTimeField)
        if temporal and validate_plausible_date not in field.validators:
            field.validators.append(validate_plausible_date)
        if isinstance(field, forms.ModelMultipleChoiceField):
            _refuse_huge_ids(field)


class OptionAttrsSelectMixin:
    """A ``<select>`` whose options carry attributes read from their objects (say the
    customer a contact belongs to, for a page script that filters on it).

    ``option_attrs`` is the one place that says which; it is called with the model
    instance when Django builds the options, and when :class:`CachedChoiceIterator`
    fills its cache, which keeps the attributes beside each (id, label) pair."""

    def option_attrs(self, instance: Any) -> dict[str, str]:
        return {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)  # type: ignore[misc]
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"].update(self.option_attrs(instance))
        else:
            option["attrs"].update(getattr(value, "option_attrs", {}))
        return option


class CachedChoiceValue(ModelChoiceIteratorValue):
    """An option's id with the attributes its widget derived from the object when the
    options were cached (the object itself is not kept)."""

    def __init__(self, value: Any, option_attrs: dict[str, str]) -> None:
        super().__init__(value, None)  # type: ignore[arg-type]
        self.option_attrs = option_attrs


class CachedChoiceIterator(ModelChoiceIterator):
    """The options of a model ``<select>`` as (id, label) pairs, kept until the data
    changes (:mod:`huifang.core.dataversion`).

    Django builds them from model instances on every render, through a server-side
    cursor on PostgreSQL: a 200-person owner list cost 4 to 5 ms per filter form,
    about as much as the page's own queries. The key is the choice query's SQL with
    its parameters (the user's scope), the field's labelling, the widget's option
    attributes and the language; the field still validates a submitted id against its
    queryset. A widget with :class:`OptionAttrsSelectMixin` gets its attributes kept
    too: without them the project form's contact picker lost every option (and, on
    saving, the project's contacts)."""

    def _options(self) -> list[tuple[Any, str, dict[str, str] | None]]:
        queryset = self.queryset
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # ``.none()``: no options, no query
            return []
        field = self.field
        labelling = type(field).label_from_instance
        attrs_of = getattr(field.widget, "option_attrs", None)
        attributes = f"{attrs_of.__module__}.{attrs_of.__qualname__}" if attrs_of else ""
        # Cacheable: the options of a query (its SQL holds the scope); labels are words,
        # so the language is in the key.
        return dataversion.cached(
            "forms.choices",
            (
                sql,
                params,
                labelling.__module__,
                labelling.__qualname__,
                attributes,
                get_language(),
            ),
            lambda: [
                (
                    obj.pk,
                    str(field.label_from_instance(obj)),
                    attrs_of(obj) if attrs_of else None,
                )
                for obj in queryset
            ],
        )

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, label, attrs in self._options():
            yield (pk if attrs is None else CachedChoiceValue(pk, attrs), label)

    def __len__(self) -> int:
        return len(self._options()) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self._options())


def cache_choices(fields: dict[str, forms.Field]) -> None:
    """Model choice fields render their options from :class:`CachedChoiceIterator`
    (fields that pick by another column than the id keep Django's own)."""
    for field in fields.values():
        if isinstance(field, forms.ModelChoiceField) and not field.to_field_name:
            field.iterator = CachedChoiceIterator
            # The widget took its choices when the field was made; a queryset set
            # later (forms narrow it in __init__) makes them anew from ``iterator``.
            field.widget.choices = field.choices


class StyledFormMixin:
    """Adds Bootstrap classes to widgets (and ``is-invalid`` to fields with errors), so
    templates render any form with ``includes/_form_fields.html``, and refuses dates no
    one can mean and ids no table can hold (:func:`guard_fields`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        guard_fields(self.fields)  # type: ignore[attr-defined]
        cache_choices(self.fields)  # type: ignore[attr-defined]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        # Marked after validation, not in __init__: reading self.errors there would
        # validate the form before subclasses narrow querysets or formsets add fields.
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            field = self.fields.get(name)  # type: ignore[attr-defined]
            if field is not None and "is-invalid" not in field.widget.attrs.get("class", ""):
                field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} is-invalid"


class DateInput(forms.DateInput):
    """A native date picker (works on phones without any script)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class LanguageSelect(forms.Select):
    """A choice of language whose options name each language in itself ("English",
    "简体中文"), as language pickers do: each option carries its ``lang``, so screen
    readers pronounce it right and the page-language test knows it is not a leak."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        if option["value"]:
            option["attrs"]["lang"] = option["value"]
        return option
