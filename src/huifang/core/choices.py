"""Fast ``get_FOO_display()`` for models that lists show many of."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.encoding import force_str


def _labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    labels = field.__dict__.get("_huifang_labels")
    if labels is None:
        labels = field.__dict__["_huifang_labels"] = dict(field.flatchoices)
    return labels


class ChoiceLabels(models.Model):
    """A model base: Django's ``get_FOO_display()`` builds a hashable copy of the field's choices on
    every call, which translates every label (a lazy string) to hash it: on a list of
    a hundred rows that was a tenth of the page's time. This keeps one dict per field
    (labels stay lazy, so each call still answers in the active language)."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> str:
        value = getattr(self, field.attname)
        return force_str(_labels(field).get(value, value), strings_only=True)
