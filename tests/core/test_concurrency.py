"""One way to say "someone changed this first" (huifang.core.concurrency): one error,
one page helper, one API mapping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django import forms
from django.utils import translation

from huifang.core import concurrency
from huifang.core.concurrency import EditConflict, VersionedFormMixin, conflict_shown
from huifang.core.errors import DomainError

SOURCE = Path(concurrency.__file__).resolve().parents[1]


class NameForm(VersionedFormMixin, forms.Form):
    name = forms.CharField(label="Name")


def _posted(name: str, version: str) -> NameForm:
    form = NameForm({"name": name, "version": version}, version=version)
    assert form.is_valid()
    return form


def test_write_that_goes_through_is_no_conflict() -> None:
    form = _posted("mine", "v1")
    with conflict_shown(form, lambda: "row", version=lambda row: "v2") as conflict:
        pass
    assert (bool(conflict), conflict.status, form.non_field_errors()) == (False, 200, [])


def test_conflict_keeps_the_input_takes_the_stored_version_and_names_saved_values() -> None:
    form = _posted("mine", "v1")
    with (
        translation.override("en"),
        conflict_shown(
            form,
            lambda: {"name": "theirs"},
            version=lambda row: "v2",
            current=lambda row: NameForm(initial=row),
        ) as conflict,
    ):
        raise EditConflict()
    assert (bool(conflict), conflict.status, conflict.row, conflict.version) == (
        True,
        409,
        {"name": "theirs"},
        "v2",
    )
    assert form.data["name"] == "mine"
    assert form.data["version"] == "v2"
    errors = form.non_field_errors()
    assert [errors[0], errors[1]] == [
        "Someone else changed this while you were editing it.",
        "Saved now: Name: “theirs”.",
    ]


def test_other_domain_errors_pass_through() -> None:
    form = _posted("mine", "v1")
    with pytest.raises(DomainError), conflict_shown(form, lambda: "row", version=str):
        raise DomainError("No.")


def test_generic_conflict_is_told_apart_from_a_worded_one() -> None:
    assert (EditConflict().generic, EditConflict("Saved meanwhile.").generic) == (True, False)
    assert EditConflict("Saved meanwhile.").code == "conflict"


def _matches(pattern: str) -> list[str]:
    regex = re.compile(pattern)
    return [
        f"{path.relative_to(SOURCE)}:{number}"
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if regex.search(line)
    ]


def test_only_the_helper_catches_edit_conflict() -> None:
    hits = _matches(r"except EditConflict")
    assert [hit.split(":")[0] for hit in hits] == ["core/concurrency.py"]


def test_no_conflict_is_a_plain_domain_error() -> None:
    hits = _matches(r"""code=["']conflict["']""")
    assert [hit.split(":")[0] for hit in hits] == ["core/concurrency.py"]
