"""Audit history (django-simple-history): who changed which business record, and how.

Every ``save()``/``delete()`` of a model with ``history = HistoricalRecords()`` writes a
historical row; the author is the signed-in user of the current request
(``HistoryRequestMiddleware``) or the user set with :func:`acting_as` outside requests.
``QuerySet.update()`` and the bulk methods skip those signals: services that change a
record with a conditional UPDATE (optimistic concurrency) call :func:`record_change`
after the UPDATE succeeded. Machine-planned changes (the visit planner's bulk writes)
are deliberately not recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from huifang.core.models import User

#: How many changes an object's page shows.
HISTORY_LIMIT = 20
#: Bookkeeping fields that change with every write and say nothing to a reader.
HIDDEN_FIELDS = frozenset({"revision", "updated_at", "created_at"})
TYPE_LABELS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


def record_change(instance: models.Model, user: User | None = None) -> None:
    """Write a "changed" historical row for ``instance`` as it is now in the database
    (call after ``refresh_from_db()``); ``user`` defaults to the request's user."""
    manager: Any = type(instance).history  # type: ignore[attr-defined]
    manager.bulk_history_create([instance], update=True, default_user=user)


@contextlib.contextmanager
def acting_as(user: User | None) -> Iterator[None]:
    """Attribute the history written inside the block to ``user`` (commands, tasks,
    tests: code that runs outside a request)."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


@dataclasses.dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    date: datetime.datetime
    user: User | None
    type: str  # "+" created, "~" changed, "-" deleted
    kind: str  # the type in words
    changes: list[Change]


def _shown(field: models.Field[Any, Any] | None, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def history_of(instance: models.Model, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The last ``limit`` changes of ``instance``, newest first, each with its field
    differences against the version before. One query (records and their users)."""
    manager: Any = type(instance).history  # type: ignore[attr-defined]
    records = list(
        manager.filter(**{instance._meta.pk.attname: instance.pk})
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes: list[Change] = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, excluded_fields=list(HIDDEN_FIELDS))
            for change in delta.changes:
                field = _model_field(instance, change.field)
                label = str(field.verbose_name) if field is not None else change.field
                changes.append(Change(label, _shown(field, change.old), _shown(field, change.new)))
        entries.append(
            HistoryEntry(
                date=record.history_date,
                user=record.history_user,
                type=record.history_type,
                kind=str(TYPE_LABELS.get(record.history_type, record.history_type)),
                changes=changes,
            )
        )
    return entries


def _model_field(instance: models.Model, name: str) -> Any:
    try:
        return instance._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed from the model
        return None


def merged_history(
    *instances: models.Model | None, limit: int = HISTORY_LIMIT
) -> list[HistoryEntry]:
    """The changes of several records shown on one page (a visit and its record),
    newest first: one query per record."""
    entries = [entry for item in instances if item is not None for entry in history_of(item, limit)]
    return sorted(entries, key=lambda entry: entry.date, reverse=True)[:limit]
