"""The phone card every list renders beside its table rows (core/phone_cards.py)."""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils import translation

from huifang.core.phone_cards import card


def render(**overrides: object) -> str:
    values: dict[str, object] = {
        "testid": "overdue",
        "title": "首次回访",
        "title_url": "/visits/7/",
        "project": "P-001 ERP",
        "when": "2026-12-01",
        "kind": "visit",
        "state": "scheduled",
        "badge": "Scheduled",
        "owner": "pm1",
        "button": "Record the visit",
        "button_url": "/visits/7/record/",
    }
    values.update(overrides)
    return str(card(**values))  # type: ignore[arg-type]


def test_a_card_names_the_row_links_it_and_offers_one_button() -> None:
    html = render()
    assert 'data-testid="overdue-card"' in html
    title = (
        '<a class="fw-semibold text-break" href="/visits/7/" data-testid="card-title">首次回访</a>'
    )
    assert title in html
    assert 'class="badge text-bg-primary" data-testid="card-state">Scheduled<' in html
    assert '<div class="small text-body-secondary text-break">P-001 ERP</div>' in html
    assert 'href="/visits/7/record/" data-testid="card-button">Record the visit</a>' in html
    assert "list-group-item-danger" not in html


def test_every_value_is_escaped() -> None:
    hostile = '<script>alert("x")</script>'
    html = render(title=hostile, project=hostile, owner=hostile, badge=hostile, button=hostile)
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 5


@pytest.mark.parametrize(
    ("language", "late", "text"),
    [
        ("en", 1, "1 day late"),
        ("en", 3, "3 days late"),
        ("zh-hans", 3, "逾期 3 天"),
    ],
)
def test_a_late_row_is_marked_and_says_how_late_in_the_readers_language(
    language: str, late: int, text: str
) -> None:
    with translation.override(language):
        html = render(late=late)
    assert "list-group-item-danger" in html
    assert text in html


def test_an_unknown_state_gets_a_plain_badge_and_a_missing_owner_a_dash() -> None:
    html = render(kind="visit", state="planned", owner=None, button_url=None)
    assert 'class="badge text-bg-light border"' in html
    assert 'data-testid="card-owner">—</span>' in html
    assert "card-button" not in html


def test_the_date_label_defaults_to_due_and_may_be_named() -> None:
    with translation.override("en"):
        assert '<span data-testid="card-date">Due 2026-12-01</span>' in render()
        assert '<span data-testid="card-date">Window 2026-12-01</span>' in render(
            when_label="Window"
        )
        assert "card-date" not in render(when="")


def test_pages_call_it_through_the_cards_include() -> None:
    template = engines["jinja2"].from_string(
        '{% from "includes/_cards.html" import cards, card %}'
        '{% call cards("rows") %}{{ card("row", "<b>", "/x/", "", "", "visit", "done", "Done",'
        ' "", "", "") }}{% endcall %}'
    )
    html = template.render({})
    assert 'data-testid="rows-cards"' in html
    assert 'data-testid="card-title">&lt;b&gt;</a>' in html
    assert "text-bg-success" in html
