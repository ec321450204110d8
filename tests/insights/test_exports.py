from __future__ import annotations

import pytest

from huifang.insights.exports import safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_safe_cell_escapes_formula_prefixes(value, expected) -> None:
    assert safe_cell(value) == expected
