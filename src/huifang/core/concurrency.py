"""Optimistic concurrency for the pages' edit forms: no lost writes.

A form that changes an existing row carries, in a hidden ``version`` field, the version
of the row the user saw. The service that writes locks the row inside its transaction
(:func:`lock_at_version`) and compares: if someone else changed it in between, it raises
:class:`EditConflict` and writes nothing. The page answers 409 and shows the form again
with the user's input, the saved values that differ from it, and the version now stored
(:meth:`VersionedFormMixin.show_conflict`), so saving again is a deliberate choice to
replace the other person's change.

"Someone changed this first" is said one way everywhere: services raise
:class:`EditConflict` (a stale page version, a stale revision, a row stored meanwhile);
pages show it with :func:`conflict_shown`, the one helper around a view's write; the
API answers it 409 in ``api/errors.py``, the one mapping.

The version of a row is its ``revision`` counter where the model keeps one (visit
records and improvement actions, whose services bump it with a conditional UPDATE);
otherwise a keyed hash of its ``updated_at`` stamp (where it has one) and the current
values of what the form edits, children included (a customer's contacts, a project's
team, a draft's rules). The values make the check independent of the clock and of any
write that forgets the stamp; the hash is keyed so that a version never reveals a value.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

from django import forms
from django.db import models, transaction
from django.utils import formats, timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from huifang.core.errors import DomainError

VERSION_FIELD = "version"
_SALT = "huifang.core.concurrency.version"

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")


class EditConflict(DomainError):
    """Someone changed this first: the row changed since the user loaded it (a stale
    version or revision), or a row stored meanwhile collides with the write. The one
    error for it (code ``conflict``): pages answer 409 with the form shown again
    (:func:`conflict_shown`), the API 409 with ``{"detail": ...}``.

    Without ``message`` it is the generic stale-version conflict, which each surface
    words in its own way (the page's form, the API's stale ``If-Match``)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or _("Someone else changed this while you were editing it."),
            code="conflict",
        )
        self.generic = message is None


def version_token(*parts: object) -> str:
    """A short token that changes whenever any of ``parts`` does. Values are read from
    the database on both sides (the page and the write), so their types match."""
    payload = json.dumps(parts, default=str, sort_keys=True, ensure_ascii=False)
    return salted_hmac(_SALT, payload, algorithm="sha256").hexdigest()[:24]


def revision_version(revision: int) -> str:
    """The version of a row that keeps a ``revision`` counter, from the counter alone
    (what a client that sends the revision it read expects)."""
    return f"r{revision}"


def row_version(instance: models.Model, *, fields: Sequence[str] = (), extra: object = None) -> str:
    """The version of ``instance`` as loaded: its ``revision`` if it has one, else the
    hash of its ``updated_at`` (if any), the values of ``fields`` and ``extra`` (the
    state of the children the same form edits)."""
    revision = getattr(instance, "revision", None)
    if isinstance(revision, int):
        return revision_version(revision)
    if not fields and not hasattr(instance, "updated_at"):
        raise ValueError(f"{type(instance).__name__} needs the fields its version covers")
    meta = instance._meta
    values = [
        cast(models.Field, meta.get_field(name)).value_from_object(instance) for name in fields
    ]
    return version_token(
        meta.label, instance.pk, getattr(instance, "updated_at", None), values, extra
    )


def check_version(*, current: str, expected: str | None) -> None:
    """Raise :class:`EditConflict` unless ``expected`` (None: not checked) is current."""
    if expected is not None and expected != current:
        raise EditConflict()


def lock_at_version(
    rows: models.Manager[M] | models.QuerySet[M],
    pk: Any,
    *,
    expected: str | None,
    version: Callable[[M], str],
) -> M:
    """The row ``pk`` locked until the end of the caller's transaction, after checking
    that ``version(row)`` is still ``expected`` (None skips the check: API and admin
    callers bring their own). Lock first, then compare: a writer between the page and
    this call is seen, and none can come between this check and the write."""
    queryset = rows.all()
    if not transaction.get_connection(queryset.db).in_atomic_block:
        raise RuntimeError("lock_at_version must run inside the write's transaction")
    row = queryset.select_for_update(of=("self",)).get(pk=pk)
    check_version(current=version(row), expected=expected)
    return row


# --- Pages -------------------------------------------------------------------------------


class Conflict(Generic[R]):
    """What :func:`conflict_shown` found: false while the write went through; after an
    :class:`EditConflict`, true, with the ``row`` as stored now, its ``version`` (now
    in the form) and status 409."""

    def __init__(self) -> None:
        self._row: R | None = None
        self.version = ""
        self.found = False

    def __bool__(self) -> bool:
        return self.found

    @property
    def row(self) -> R:
        """The row as stored now (read after the conflict)."""
        if not self.found:
            raise RuntimeError("no conflict: the row was not read again")
        return cast(R, self._row)

    @property
    def status(self) -> int:
        return 409 if self.found else 200


@contextmanager
def conflict_shown(
    form: VersionedFormMixin,
    reload: Callable[[], R],
    *,
    version: Callable[[R], str],
    current: Callable[[R], forms.BaseForm | None] | None = None,
) -> Iterator[Conflict[R]]:
    """The one way a page answers :class:`EditConflict` raised by the write in the
    ``with`` block: ``reload()`` reads the row as stored now, ``version(row)`` is the
    version the form takes (so saving again replaces the other change, on purpose) and
    ``current(row)``, the unbound form of that row, names the saved values that differ
    from the input (:meth:`VersionedFormMixin.show_conflict`). Every other error passes
    through. The view renders the form again with ``conflict.status`` (409) and, where
    it shows the row, ``conflict.row``::

        with conflict_shown(form, lambda: load(pk), version=row_version) as conflict:
            save(..., expected_version=form.expected_version)
        if conflict:
            row, status = conflict.row, conflict.status
    """
    conflict: Conflict[R] = Conflict()
    try:
        yield conflict
    except EditConflict:
        row = reload()
        conflict.version = version(row)
        form.show_conflict(version=conflict.version, current=current(row) if current else None)
        conflict._row = row
        conflict.found = True


# --- Forms -------------------------------------------------------------------------------


class VersionedFormMixin:
    """Adds the hidden ``version`` field (required): the version of the row the form
    was built from. Pass ``version=`` when building the form for display."""

    _errors: Any  # Django's cache of the validation errors

    def __init__(self, *args: Any, version: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[VERSION_FIELD] = forms.CharField(  # type: ignore[attr-defined]
            widget=forms.HiddenInput, max_length=64, initial=version
        )
        # A form that validated itself while being built did so without this field.
        self._errors = None

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        errors = self._errors
        if errors and VERSION_FIELD in errors:
            # A hidden field's error would show nowhere: say it for the whole form.
            del errors[VERSION_FIELD]
            self.add_error(  # type: ignore[attr-defined]
                None, _("This page is out of date: reload it and make your changes again.")
            )

    @property
    def expected_version(self) -> str:
        return str(self.cleaned_data[VERSION_FIELD])  # type: ignore[attr-defined]

    def field_values(self) -> dict[str, Any]:
        """The cleaned data without the version: the values to write."""
        cleaned = self.cleaned_data  # type: ignore[attr-defined]
        return {name: value for name, value in cleaned.items() if name != VERSION_FIELD}

    def show_conflict(self, *, version: str, current: forms.BaseForm | None = None) -> None:
        """After :class:`EditConflict`: keep the user's input, take the ``version`` now
        stored (so that saving again succeeds, on purpose) and say what happened, with
        the saved values that differ from the input when ``current`` (the form built
        from the row as it is now, unbound) is given."""
        form: Any = self
        data = form.data.copy()
        data[form.add_prefix(VERSION_FIELD)] = version
        form.data = data
        form.add_error(None, EditConflict().message)
        saved = differences(form, current) if current is not None else []
        if saved:
            form.add_error(None, _("Saved now: %(values)s.") % {"values": "; ".join(saved)})
        if any(not field.is_hidden for field in form):
            advice = _(
                "Nothing of yours is saved yet; your input is kept below. Review the "
                "current values, then save again to replace them with yours."
            )
        else:  # a button: nothing was typed
            advice = _("Nothing was changed. Review the current values, then try again.")
        form.add_error(None, advice)


class VersionForm(VersionedFormMixin, forms.Form):
    """A button that changes a row (resume, cancel, deactivate): only the version."""


def differences(form: forms.BaseForm, current: forms.BaseForm) -> list[str]:
    """ "Label: saved value" for every visible field where the row as it is now (the
    unbound ``current``) differs from what the user submitted in ``form``."""
    shown = []
    for name, field in form.fields.items():
        if name == VERSION_FIELD or name not in current.fields or field.disabled:
            continue
        if isinstance(field.widget, forms.HiddenInput):
            continue
        if name not in current.initial and current.fields[name].initial is None:
            continue  # not a stored value (a reason, a note): nothing to compare
        saved = current[name].initial
        if field.has_changed(saved, form[name].data):
            shown.append(f"{field.label}: {display_value(current.fields[name], saved)}")
    return shown


def display_value(field: forms.Field, value: Any) -> str:
    """A form value as a reader would name it (choice labels, not keys)."""
    if isinstance(field, forms.BooleanField):
        return _("yes") if value else _("no")
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(field, forms.ChoiceField):
        labels = _choice_labels(field)
        items = value if isinstance(value, list | tuple | models.QuerySet) else [value]
        return ", ".join(labels.get(str(getattr(item, "pk", item)), str(item)) for item in items)
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if not isinstance(value, str):
        return str(value)
    return "“" + (value if len(value) <= 80 else value[:79] + "…") + "”"


def _choice_labels(field: forms.ChoiceField) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, label in cast(Iterable[Any], field.choices):
        if isinstance(label, list | tuple):  # an option group
            labels.update((str(k), str(v)) for k, v in label)
        else:
            labels[str(key)] = str(label)
    return labels
