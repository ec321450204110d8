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
import decimal
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
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
    old: str | None  # None: not known (the row before was never recorded)
    new: str


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    date: datetime.datetime
    user: User | None
    type: str  # "+" created, "~" changed, "-" deleted
    kind: str  # the type in words
    changes: list[Change]


def _shown(field: Any, value: Any, related: dict[tuple[Any, Any], str]) -> str:
    """A stored value as a person reads it: choice labels, names of related records,
    yes/no, dates and moments in the reader's language and the organisation's time
    zone (not "2026-12-02 11:48:07.589187+00:00")."""
    if value is None or value == "":
        return "—"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and field.many_to_one:
        return related.get((field.related_model, value), str(value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime.datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return formats.date_format(moment, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, decimal.Decimal | float):
        return str(formats.localize(value))
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _related_names(fields_and_values: list[tuple[Any, Any]]) -> dict[tuple[Any, Any], str]:
    """The names of the records that foreign-key values point to: one query per related
    model on the page, however many entries mention it."""
    wanted: dict[Any, set[Any]] = {}
    for field, value in fields_and_values:
        if value is None or value is _UNKNOWN or isinstance(field, str):
            continue
        if field.many_to_one and not field.choices:
            wanted.setdefault(field.related_model, set()).add(value)
    names = {}
    for model, ids in wanted.items():
        for pk, obj in model._default_manager.in_bulk(list(ids)).items():
            names[(model, pk)] = str(obj)
    return names


def _raw_changes(instance: models.Model, record: Any, previous: Any) -> list[tuple[Any, Any, Any]]:
    """(field, old, new) of one historical row. A change with no recorded row before it
    (the planner creates visits without history) lists the values it set, old unknown."""
    if previous is not None:
        delta = record.diff_against(previous, excluded_fields=list(HIDDEN_FIELDS))
        return [
            (_model_field(instance, change.field) or change.field, change.old, change.new)
            for change in delta.changes
        ]
    rows = []
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name in HIDDEN_FIELDS:
            continue
        value = getattr(record, field.attname, None)
        if value not in (None, ""):
            rows.append((field, _UNKNOWN, value))
    return rows


_UNKNOWN = object()


def history_of(instance: models.Model, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The last ``limit`` changes of ``instance``, newest first, each with its field
    differences against the version before. One query for the records and their
    users, one per kind of related record the changes name. A change of bookkeeping
    fields only (a revision bump) says nothing to a reader and is left out."""
    manager: Any = type(instance).history  # type: ignore[attr-defined]
    records = list(
        manager.filter(**{instance._meta.pk.attname: instance.pk})
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    raw = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changed = _raw_changes(instance, record, previous) if record.history_type == "~" else []
        if record.history_type == "~" and not changed:
            continue
        raw.append((record, changed))
    related = _related_names(
        [(field, value) for _record, rows in raw for field, *values in rows for value in values]
    )
    entries = []
    for record, rows in raw:
        changes = [
            Change(
                _label(field),
                None if old is _UNKNOWN else _shown(_field_or_none(field), old, related),
                _shown(_field_or_none(field), new, related),
            )
            for field, old, new in rows
        ]
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


def _field_or_none(field: Any) -> Any:
    return None if isinstance(field, str) else field


def _label(field: Any) -> str:
    return field if isinstance(field, str) else str(field.verbose_name)


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
