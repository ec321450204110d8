"""The harness of tests/test_form_fuzzing.py: reading a page's forms the way a browser
does, hostile values (hypothesis strategies) for each kind of field and for spreadsheet
imports, a fingerprint of every row of our tables, and the verdict on an answer.

What is fuzzed, and how each form is reached, is the test module's table (``FUZZ``, one
:class:`Fuzz` per URL name).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import markupsafe
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms import BaseForm, BaseFormSet
from django.test import Client
from django.test.utils import ContextList
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from hypothesis import strategies as st

from huifang.customers.models import Contact, Customer
from huifang.projects.models import Project
from huifang.transfer.importers import COLUMNS
from huifang.visits.models import Visit
from tests.access_rules import RULES
from tests.world import World

# HUIFANG_FUZZ_SCALE=10 tries ten times as many inputs (a deeper run, by hand or nightly).
SCALE = int(os.environ.get("HUIFANG_FUZZ_SCALE", "1"))

# --- Reading a page's forms the way a browser does --------------------------------------


@dataclass
class PageField:
    name: str
    kind: str  # the input type ("text", "hidden", "date", ...), "select" or "textarea"
    values: list[str] = field(default_factory=list)  # what the browser would send
    options: list[str] = field(default_factory=list)  # a select's or radio group's values
    multiple: bool = False
    required: bool = False


@dataclass
class PageForm:
    action: str  # the path the form posts to
    query: str  # and its query string, if any
    multipart: bool
    fields: dict[str, PageField] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons


class _FormReader(HTMLParser):
    """Every ``<form method="post">`` of a page with what a browser would submit."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: PageField | None = None
        self._textarea: PageField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            if attr.get("method", "get").lower() == "post":
                action = urlsplit(attr.get("action") or self.page_path)
                self._form = PageForm(
                    action=action.path or self.page_path,
                    query=action.query,
                    multipart=attr.get("enctype", "") == "multipart/form-data",
                )
                self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None:
            self._select.options.append(attr.get("value", ""))
            if "selected" in attr:
                self._select.values.append(attr.get("value", ""))
            return
        form, name = self._form, attr.get("name")
        if form is None or not name:
            return
        if tag == "button" or (tag == "input" and attr.get("type") == "submit"):
            form.buttons.append((name, attr.get("value", "")))
        elif tag == "input":
            kind = attr.get("type", "text").lower()
            if name == "csrfmiddlewaretoken" or kind in {"button", "image", "reset"}:
                return
            entry = form.fields.setdefault(name, PageField(name=name, kind=kind))
            entry.required |= "required" in attr
            if kind in {"checkbox", "radio"}:
                entry.options.append(attr.get("value", "on"))
                if "checked" in attr:
                    entry.values.append(attr.get("value", "on"))
            elif kind != "file":
                entry.values.append(attr.get("value", ""))
        elif tag == "select":
            self._select = form.fields.setdefault(name, PageField(name=name, kind="select"))
            self._select.required = "required" in attr
            self._select.multiple = "multiple" in attr
        elif tag == "textarea":
            self._textarea = form.fields.setdefault(name, PageField(name=name, kind="textarea"))
            self._textarea.required = "required" in attr
            self._textarea.values.append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.values[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline Django writes right after <textarea>.
            self._textarea.values[-1] = self._textarea.values[-1].removeprefix("\n")
            self._textarea = None


def page_forms(html: str, page_path: str) -> list[PageForm]:
    reader = _FormReader(page_path)
    reader.feed(html)
    for form in reader.forms:
        for entry in form.fields.values():
            # A single select without a selected option sends its first option.
            if entry.kind == "select" and not entry.multiple and not entry.values and entry.options:
                entry.values.append(entry.options[0])
    return reader.forms


# --- Hostile values ---------------------------------------------------------------------

MISSING = object()  # the field is left out of the submission

HUGE = 100_000
SQL = ["' OR '1'='1", "1; DROP TABLE core_user; --", '" OR 1=1 --', "%", "_%", "\\", "'"]
HTML = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "{% debug %}"]
NUMBERS = [
    "-1",
    "0",
    "1.5",
    "1e3",
    "1e309",
    "NaN",
    "-inf",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "99999999999999999999999999",
    "٣",  # an Arabic-Indic digit: int() accepts it
    "0x10",
    " 7 ",
]
DATES = [
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "2026/04/20",
    "20.04.2026",
    "today",
]
DATETIMES = [
    "2026-04-20T25:61",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-03-29T02:30",
    "2026-04-20 09:00:00.999999999",
    "2026-04-20T09:00+99:00",
]
SPECIAL = ["", " ", "\x00", "a\x00b", "\u200b", "\r\n", "\ud7ff\uffff", "😀" * 3, "\u202e" + "evil"]
EMAILS = ["a@b", "x" * 300 + "@example.com", "<script>@example.com", "a@example.com\x00"]
URLS = ["javascript:alert(1)", "http://" + "a" * 600 + ".example", "file:///etc/passwd", "//x"]

huge_text = st.sampled_from(["A", "中", "\x00", "😀", "<b>", "'", "9"]).map(
    lambda piece: (piece * HUGE)[:HUGE]
)
with_nul = st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=8), st.text(max_size=8))
hostile_text = st.one_of(
    st.text(max_size=40),  # any unicode but lone surrogates, NUL included
    with_nul,
    huge_text,
    st.sampled_from(SQL + HTML + SPECIAL),
    st.sampled_from(NUMBERS + DATES),
)


def hostile_ids(world: World) -> st.SearchStrategy[str]:
    """Ids that exist but are out of the user's scope (the second world's rows), ids
    that exist nowhere, and ids that are not ids."""
    other = world.other
    foreign = [other[model].pk for model in (Project, Customer, Contact, Visit) if model in other]
    foreign.append(other[Project].manager_id)
    return st.sampled_from([str(pk) for pk in foreign] + ["-1", "0", "999999999", "1.0", "1 "])


@dataclass(frozen=True)
class Upload:
    """A file to attach (a fresh SimpleUploadedFile is made for every request)."""

    name: str
    content: bytes

    def __repr__(self) -> str:
        return f"Upload({self.name!r}, {self.content[:40]!r}…{len(self.content)})"


def hostile_file() -> st.SearchStrategy[Upload]:
    contents = st.one_of(
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"",
                b"\x89PNG\r\n\x1a\n" + bytes(64),
                b"%PDF-1.7\n" + b"0" * 64,
                b"PK\x03\x04" + bytes(64),  # the start of a zip (.xlsx), then nothing
                b"<html><script>alert(1)</script></html>",
                b"\xef\xbb\xbf" + b"a,b\x00c\n" * 3,
                b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024),  # over every upload limit
            ]
        ),
        hostile_csv(),
    )
    names = st.sampled_from(
        ["photo.png", "minutes.pdf", "import.csv", "x.xlsx", "../../etc/passwd"]
    )
    return st.builds(lambda content, filename: Upload(filename, content), contents, names)


ALL_COLUMNS = sorted(
    {column for required, optional in COLUMNS.values() for column in required + optional}
)


# A row every import kind accepts (each reads the columns it knows): the world's
# customer, its manager ``pm1`` (who imports) and member, and its policy.
GOOD_ROW = {
    "address": "1 Harbour Road",
    "actual_start": "",
    "cadence": "monthly",
    "code": "FZ-1",
    "customer": "Customer 1",
    "department": "IT",
    "description": "Imported by the fuzzer",
    "email": "fuzz@example.com",
    "industry": "Retail",
    "is_primary": "no",
    "language": "en",
    "manager": "pm1",
    "members": "member1",
    "name": "Fuzz import",
    "notes": "Notes",
    "phone": "123456",
    "planned_end": "2026-09-30",
    "planned_start": "2026-05-04",
    "policy": "Policy 1",
    "preferred_channel": "phone",
    "status": "planned",
    "title": "CTO",
    "wechat_id": "fuzz",
}
assert sorted(GOOD_ROW) == ALL_COLUMNS


@st.composite
def hostile_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """One to three good rows, each with up to three cells made hostile."""
    cell = st.one_of(
        st.text(max_size=20).filter(lambda text: "\x00" not in text),
        st.sampled_from(SQL + HTML + NUMBERS + DATES + SPECIAL[:2] + ["=1+1", "x" * 6000]),
    )
    rows = []
    for _row in range(draw(st.integers(min_value=1, max_value=3))):
        row = dict(GOOD_ROW)
        for column in draw(st.sets(st.sampled_from(ALL_COLUMNS), max_size=3)):
            dated = column.endswith(("_start", "_end"))
            row[column] = draw(st.one_of(st.sampled_from(DATES), cell) if dated else cell)
        rows.append(row)
    return rows


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ALL_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def hostile_csv() -> st.SearchStrategy[bytes]:
    return hostile_rows().map(as_csv)


def hostile_value(entry: PageField, world: World) -> st.SearchStrategy[Any]:
    """A value (or a list of values, or MISSING) for one field, chosen for its kind."""
    if entry.kind == "file":
        return st.one_of(hostile_file(), st.just(MISSING), st.just(""))
    typed: list[str] = []
    if entry.kind in {"date"}:
        typed = DATES
    elif entry.kind == "datetime-local":
        typed = DATETIMES + DATES
    elif entry.kind == "number":
        typed = NUMBERS
    elif entry.kind == "email":
        typed = EMAILS
    elif entry.kind == "url":
        typed = URLS
    elif entry.kind in {"checkbox", "radio"}:
        typed = ["on", "off", "false", *entry.options]
    single = st.one_of(
        hostile_text,
        hostile_ids(world),
        st.sampled_from(entry.options or [""]),
        st.sampled_from(typed or NUMBERS),
    )
    return st.one_of(
        single,
        st.just(MISSING),
        st.lists(single, min_size=2, max_size=3),  # a list where one value is expected
    )


# What a user types into a required field the page leaves empty, by the field's type.
FILL_BY_KIND = {
    "text": "Fuzz 1",
    "textarea": "Written by the fuzzer",
    "email": "fuzz@example.com",
    "url": "https://hooks.example.com/fuzz",
    "number": "1",
    "date": "2026-04-27",
    "datetime-local": "2026-04-27T10:00",
    "password": "Fuzz-horse-battery-9",
}


def baseline(form: PageForm, fill: dict[str, Any]) -> dict[str, Any]:
    """What the browser submits when the user fills in just the required fields (with
    ``fill`` for what the page needs more exactly): the valid submission the hostile
    values are put into, so that they get past the other fields' checks."""
    data: dict[str, Any] = {}
    for name, entry in form.fields.items():
        multiple = entry.multiple or (entry.kind == "checkbox" and len(entry.options) > 1)
        if entry.values and any(entry.values):
            data[name] = list(entry.values) if multiple else entry.values[-1]
        elif entry.required and entry.kind in {"select", "radio"} and entry.options:
            data[name] = next((option for option in entry.options if option), "")
        elif entry.required and entry.kind in FILL_BY_KIND:
            data[name] = FILL_BY_KIND[entry.kind]
        elif entry.values:
            data[name] = entry.values[-1]
    if form.buttons:  # the first button is the one Enter presses
        data[form.buttons[0][0]] = form.buttons[0][1]
    for name, value in fill.items():
        if value is MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def as_posted(data: dict[str, Any]) -> dict[str, Any]:
    """The submission as the test client posts it (files as uploads)."""
    return {
        name: SimpleUploadedFile(value.name, value.content) if isinstance(value, Upload) else value
        for name, value in data.items()
    }


JUNK_NAMES = ["id", "pk", "status", "owner", "project", "revision", "DELETE", "next", "user"]


@st.composite
def submissions(
    draw: st.DrawFn, form: PageForm, world: World, fill: dict[str, Any]
) -> dict[str, Any]:
    """The browser's submission with one to three fields replaced by hostile values,
    the button pressed (or a forged one) and sometimes a field the form does not have."""
    data = baseline(form, fill)
    names = sorted(form.fields)
    if names:
        chosen = draw(st.sets(st.sampled_from(names), min_size=1, max_size=min(3, len(names))))
        for name in sorted(chosen):
            value = draw(hostile_value(form.fields[name], world))
            if value is MISSING:
                data.pop(name, None)
            else:
                data[name] = value
    if form.buttons:
        button_names = sorted({name for name, _value in form.buttons})
        pressed = draw(
            st.one_of(
                st.sampled_from(form.buttons),
                st.none(),
                st.tuples(st.sampled_from(button_names), hostile_text),
            )
        )
        for name in button_names:
            data.pop(name, None)
        if pressed is not None:
            data[pressed[0]] = pressed[1]
    extras = draw(st.dictionaries(st.sampled_from(JUNK_NAMES), hostile_text, max_size=2))
    for name, value in extras.items():
        data.setdefault(name, value)
    return data


# --- What was written -------------------------------------------------------------------

OWN_MODELS = sorted(
    (
        model
        for model in apps.get_models()
        if model.__module__.startswith("huifang.")
        # Rate-limit counts are bookkeeping every post adds to, refused or not
        # (core/ratelimit.py): the survey page counts attempts, not answers.
        and model._meta.label_lower != "core.ratecount"
    ),
    key=lambda model: model._meta.label,
)


def fingerprint() -> dict[str, int]:
    """Every row of every table of our apps (history included), one hash per table.
    Plain SQL: the ORM's row conversion would make this the slowest part of the file."""
    quote = connection.ops.quote_name
    tables = {}
    with connection.cursor() as cursor:
        for model in OWN_MODELS:
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")  # noqa: S608 - our names
            tables[model._meta.label] = hash(repr(cursor.fetchall()))
    return tables


# --- How a form is reached --------------------------------------------------------------

Kwargs = Callable[[World], dict[str, Any]]
Opener = Callable[[Client, World], Any]


@dataclass(frozen=True)
class Fuzz:
    """How to reach the form that posts to a URL name, and who fills it in.

    ``page``/``page_kwargs``: the page showing the form (default: the URL itself, and
    the URL's kwargs); ``opened_by``: a function that opens that page, where a plain
    GET of a URL name does not; ``kwargs``: the URL's kwargs when the access matrix's
    object does not offer the form (a closed invitation has no "new link" button);
    ``role``: who posts (default: the first of POSTERS the access rule lets post);
    ``form``: False for a URL no form of the world posts to (a page that answers POST
    as it answers GET, or a button the world's object does not show), which is then
    posted junk fields; ``shows``: the page that answers valid input with what was made
    (200) instead of a redirect; ``writes``: False where even valid input must write
    nothing (the import preview); ``fill``: values the form needs to be valid beyond
    what ``baseline`` puts into its required fields."""

    page: str = ""
    page_kwargs: Kwargs | None = None
    opened_by: Opener | None = None
    kwargs: Kwargs | None = None
    url: Callable[[World], str] | None = None
    role: str = ""
    form: bool = True
    shows: str = ""
    writes: bool = True
    fill: Callable[[World], dict[str, Any]] | None = None
    examples: int = 20


def client_for(world: World, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


@dataclass
class Target:
    url: str  # the path (and query) the form posts to
    form: PageForm | None  # None: no form; post junk


def find_target(client: Client, world: World, name: str, spec: Fuzz) -> Target:
    """The URL and the form of the page that posts to URL ``name`` (reached as ``spec``
    says), as the browser reads them."""
    kwargs = (spec.kwargs or RULES[name].kwargs)(world)
    url = urlsplit(spec.url(world)).path if spec.url else reverse(name, kwargs=kwargs)
    if not spec.form:
        return Target(url=url, form=None)
    if spec.opened_by is not None:
        response = spec.opened_by(client, world)
        page = response.wsgi_request.path
    else:
        page_kwargs = spec.page_kwargs(world) if spec.page_kwargs else kwargs
        page = reverse(spec.page, kwargs=page_kwargs) if spec.page else url
        response = client.get(page)
    assert response.status_code == 200, f"{page}: HTTP {response.status_code}"
    forms = [form for form in page_forms(response.content.decode(), page) if form.action == url]
    assert forms, f"no form on {page} posts to {url}"
    form = forms[0]
    return Target(url=f"{url}?{form.query}" if form.query else url, form=form)


def shown(text: str, body: str) -> bool:
    """``text`` is on the page, escaped by Django (form widgets) or MarkupSafe (pages)."""
    return escape(text) in body or str(markupsafe.escape(text)) in body


# --- Judging an answer ------------------------------------------------------------------


def _forms_in(value: Any, found: list[Any], depth: int = 0) -> None:
    if depth > 3:
        return
    if isinstance(value, BaseForm | BaseFormSet):
        found.append(value)
    elif isinstance(value, list | tuple):
        for item in value:
            _forms_in(item, found, depth + 1)
    elif is_dataclass(value) and not isinstance(value, type):
        for attribute in fields(value):
            _forms_in(getattr(value, attribute.name), found, depth + 1)


def form_errors(response: Any) -> list[str]:
    """Every error of every bound form (and formset) the page was rendered with."""
    context = response.context
    if context is None:
        return []
    contexts: list[Any] = list(context) if isinstance(context, ContextList) else [context]
    found: list[Any] = []
    for each in contexts:
        # A page's context is a dict (Jinja2); a form widget's is Django's Context.
        layers = each.dicts if hasattr(each, "dicts") else [each]
        for layer in layers:
            for value in layer.values():
                _forms_in(value, found)
    errors: list[str] = []
    seen: set[int] = set()
    for form in found:
        if id(form) in seen or not form.is_bound:
            continue
        seen.add(id(form))
        if isinstance(form, BaseFormSet):
            errors += [str(error) for error in form.non_form_errors()]
            forms = [each for each in form.forms if id(each) not in seen]
            seen.update(id(each) for each in forms)
            for each in forms:
                errors += [str(e) for messages in each.errors.values() for e in messages]
        else:
            errors += [str(e) for messages in form.errors.values() for e in messages]
    return errors


def _message_levels(response: Any) -> set[int]:
    return {message.level for message in get_messages(response.wsgi_request)}


def verdict(spec: Fuzz, response: Any, changed: list[str]) -> str:
    """What is wrong with the answer to a hostile submission ("" when nothing is)."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    # Errors in the language the page was written in (the survey page: the contact's).
    with translation.override(response.get("Content-Language", "en")):
        errors = form_errors(response)
    if errors:
        body = response.content.decode()
        unshown = [error for error in errors if not shown(error, body)]
        if status not in (200, 400, 409):
            return f"form errors answered with {status}"
        if changed:
            return f"refused ({status}) but wrote {changed}"
        if unshown:
            return f"errors not shown on the page: {unshown}"
        return ""
    if status == 302:
        if changed and not spec.writes:
            return f"must write nothing but wrote {changed}"
        levels = _message_levels(response)
        if changed and message_levels.ERROR in levels and message_levels.SUCCESS not in levels:
            return f"refused with a message but wrote {changed}"
        return ""
    if status in (400, 403, 404, 409):
        return f"refused ({status}) but wrote {changed}" if changed else ""
    if status == 200:
        names = {template.name for template in response.templates}
        if changed and not (spec.writes and spec.shows in names):
            return f"answered 200 without an error but wrote {changed}"
        return ""
    return f"unexpected status {status}"


def shortened(data: dict[str, Any]) -> dict[str, Any]:
    """The submission as a short text for a failure message."""
    return {
        key: (
            f"{value[:40]!r}…{len(value)}" if isinstance(value, str) and len(value) > 60 else value
        )
        for key, value in data.items()
    }


def post_in_savepoint(client: Client, url: str, data: dict[str, Any]) -> tuple[Any, list[str]]:
    """Post in a savepoint that is rolled back: the answer and the tables it changed."""
    with transaction.atomic():
        before = fingerprint()
        response = client.post(url, as_posted(data))
        after = fingerprint()
        transaction.set_rollback(True)
    return response, sorted(label for label in before if before[label] != after[label])
