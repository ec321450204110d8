"""The phone card of a list row, the one every list renders below 576 px.

Written in Python rather than as a Jinja macro for its cost alone: a list renders a
card beside each table row, and a macro call of thirteen arguments spent some 250 µs
per card, doubling the price of the home page (60 cards). The markup is the one
``includes/_cards.html`` documents; the page templates call it as ``card(...)``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, ngettext
from markupsafe import Markup, escape

# Badge colours per kind of row and state, as the lists' own badges have them.
BADGES: dict[str, dict[str, str]] = {
    "visit": {
        "done": "text-bg-success",
        "missed": "text-bg-danger",
        "cancelled": "text-bg-secondary",
        "scheduled": "text-bg-primary",
    },
    "action": {
        "in_progress": "text-bg-primary",
        "done": "text-bg-info",
        "verified_effective": "text-bg-success",
        "reopened": "text-bg-warning",
    },
    "project": {
        "active": "text-bg-success",
        "on_hold": "text-bg-warning",
        "planned": "text-bg-info",
        "completed": "text-bg-secondary",
        "cancelled": "text-bg-secondary",
    },
}
_PLAIN_BADGE = "text-bg-light border"


def card(
    testid: str,
    title: Any,
    title_url: str,
    project: Any,
    when: Any,
    kind: str,
    state: str,
    badge: Any,
    owner: Any,
    button: Any,
    button_url: str | None,
    late: int = 0,
    when_label: Any = None,
) -> Markup:
    """One row as a card: the name with its project, the date and a state badge, the
    owner, one primary button. ``kind`` and ``state`` choose the badge's colour,
    ``badge`` is its text; ``late`` is the days late, if any. Every value is escaped."""
    badge_class = BADGES.get(kind, {}).get(state, _PLAIN_BADGE)
    parts = [
        f'<li class="list-group-item py-3{" list-group-item-danger" if late else ""}"'
        f' data-testid="{escape(testid)}-card">\n'
        '  <div class="d-flex justify-content-between align-items-start gap-2">\n'
        f'    <a class="fw-semibold text-break" href="{escape(title_url)}"'
        f' data-testid="card-title">{escape(title)}</a>\n'
        f'    <span class="badge {badge_class}" data-testid="card-state">{escape(badge)}</span>\n'
        "  </div>\n"
    ]
    if project:
        parts.append(
            f'  <div class="small text-body-secondary text-break">{escape(project)}</div>\n'
        )
    parts.append('  <div class="small mt-1">')
    if when:
        label = when_label if when_label else gettext("Due")
        parts.append(f'<span data-testid="card-date">{escape(label)} {escape(when)}</span>')
        if late:
            days = ngettext("%(days)s day late", "%(days)s days late", late) % {"days": late}
            parts.append(f' <span class="text-danger">{escape(days)}</span>')
        parts.append(" · ")
    parts.append(f'<span data-testid="card-owner">{escape(owner or "—")}</span></div>\n')
    if button_url:
        parts.append(
            f'  <a class="btn btn-primary w-100 mt-2" href="{escape(button_url)}"'
            f' data-testid="card-button">{escape(button)}</a>\n'
        )
    parts.append("</li>")
    # Every value above went through escape(); the rest is this function's own markup.
    return Markup("".join(parts))  # noqa: S704
