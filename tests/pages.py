"""A page's forms as a browser would submit them, for tests that post what a user
loaded (hidden fields such as the edit forms' ``version`` included), and the data of
formsets (their management form, the customer form's contact rows) for tests that
post without loading."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.test import Client


@dataclass
class PageForm:
    action: str
    method: str
    data: dict[str, list[str]] = field(default_factory=dict)


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option_text: str | None = None
        self._textarea: str | None = None
        # A <template>'s content is inert: browsers neither show nor submit it.
        self._templates = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "template":
            self._templates += 1
        if self._templates:
            return
        if tag == "form":
            method = attr.get("method", "get").lower()
            self._form = PageForm(action=attr.get("action", ""), method=method)
            self.forms.append(self._form)
            return
        form, name = self._form, attr.get("name")
        if form is None or "disabled" in attr:
            return
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attr:
                    form.data.setdefault(name, []).append(attr.get("value", "on"))
                return
            form.data.setdefault(name, []).append(attr.get("value", ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attr.get("value", ""), "selected" in attr))
        elif tag == "textarea" and name:
            self._textarea = name
            form.data.setdefault(name, []).append("")

    def handle_data(self, data: str) -> None:
        if self._templates:
            return
        if self._form is not None and self._textarea is not None:
            self._form.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "template" or self._templates:
            self._templates = max(0, self._templates - (tag == "template"))
            return
        if tag == "form":
            self._form = None
        elif form is not None and tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]  # a single select submits its first option
            form.data[self._select] = chosen
            self._select = None
        elif form is not None and tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline Django writes right after <textarea>.
            value = form.data[self._textarea][-1]
            form.data[self._textarea][-1] = value.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None


def page_forms(response: Any) -> list[PageForm]:
    reader = _FormReader()
    reader.feed(response.content.decode())
    return [form for form in reader.forms if form.method == "post"]


def submitted(response: Any, *, page: str, action: str = "") -> dict[str, Any]:
    """What submitting the POST form of ``page`` that posts to ``action`` (default: to
    the page itself) would send."""
    target = action or page
    forms = page_forms(response)
    for form in forms:
        if (form.action or page) == target:
            return dict(form.data)
    actions = [form.action for form in forms]
    raise AssertionError(f"no form posting to {target} on {page} (forms: {actions})")


def loaded(client: Client, page: str, *, action: str = "") -> dict[str, Any]:
    """GET ``page`` as ``client`` and read the form posting to ``action`` (or to the
    page itself)."""
    response = client.get(page)
    assert response.status_code == 200, response.status_code
    return submitted(response, page=page, action=action)


def form_version(client: Client, page: str, *, action: str = "", field: str = "version") -> str:
    """The version an edit form carries when ``client`` loads ``page``."""
    data = loaded(client, page, action=action)
    matches = [values for name, values in data.items() if name.split("-")[-1] == field]
    assert matches, f"no {field} field on {page}"
    return str(matches[0][0])


# --- Formsets as posted ------------------------------------------------------------------


def management(prefix: str = "contacts", total: int = 1, initial: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def contact_row(index: int, name: str, **values: Any) -> dict[str, Any]:
    row = {
        "name": name,
        "title": "",
        "phone": "",
        "email": "",
        "wechat_id": "",
        "preferred_channel": "phone",
        "language": "zh-hans",
    }
    row.update(values)
    if row.get("is_primary") is False:
        del row["is_primary"]
    return {f"contacts-{index}-{key}": value for key, value in row.items()}
