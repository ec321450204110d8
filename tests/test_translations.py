"""Both languages complete: every Chinese catalogue has every entry translated, and
the compiled .mo that Django reads matches its .po (so nobody forgot to compile)."""

from __future__ import annotations

from pathlib import Path

import polib  # type: ignore[import-untyped]
import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "huifang"
CATALOGUES = sorted(SOURCE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def _entries(catalogue: polib.POFile | polib.MOFile) -> dict[tuple[str, str], object]:
    return {
        (entry.msgctxt or "", entry.msgid): entry.msgstr_plural or entry.msgstr
        for entry in catalogue
        if entry.msgid
    }


def test_there_is_a_chinese_catalogue() -> None:
    assert SOURCE / "locale/zh_Hans/LC_MESSAGES/django.po" in CATALOGUES


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_chinese_catalogue_is_complete(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert (untranslated, fuzzy) == ([], [])


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(SOURCE)))
def test_compiled_catalogue_matches_its_source(po_path: Path) -> None:
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists()
    po_entries = _entries(polib.pofile(str(po_path)))
    mo_entries = _entries(polib.mofile(str(mo_path)))
    assert mo_entries == {key: value for key, value in po_entries.items() if value}
