"""The words of actions the system makes (the follow-up after a low survey score):
an action keeps a message key with parameters and is worded in the reader's language
when shown. People's own descriptions have no key and are shown as written."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SURVEY_FOLLOW_UP = "survey_follow_up"

TEXTS: dict[str, Promise] = {
    SURVEY_FOLLOW_UP: _("Contact the customer about their survey answer"),
}


def word_description(key: str | None, params: dict[str, Any] | None, fallback: str) -> str:
    """The description in the active language, or ``fallback`` (the stored text)
    for a description without a key or with a key this release no longer knows."""
    text = TEXTS.get(key) if key else None
    if text is None:
        return fallback
    try:
        return str(text) % (params or {}) if params else str(text)
    except (KeyError, TypeError, ValueError):
        return fallback
