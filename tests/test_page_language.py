"""Every page of the access matrix, for each role, in English and in Simplified Chinese,
shows interface text of its own language only (issue #14, "Done when").

The rule, applied to what a person sees or hears: the text between tags (scripts and
styles left out) and the ``title``, ``placeholder``, ``aria-label`` and ``alt``
attributes, after removing

- user data: every text value stored in the database (names, summaries, notes …),
  longest first; the test world's user data is ASCII except the seeded policy name;
- elements marked with another ``lang`` (the language switch names each language in
  itself, as is the custom);
- code (``<code>``, ``<kbd>``: "Authorization: Bearer …" is typed as it is);

then:

- an English page has no CJK character;
- a Chinese page has no English word (two or more Latin letters) except the names in
  ``LATIN_ON_CHINESE_PAGES`` (product and format names that Chinese pages write in
  Latin letters: CSV, Excel, API …).

A leak is reported with the page, the role and the offending text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models, transaction
from django.test import Client
from django.urls import reverse

from tests.access_rules import EXPECTED, OK, RULES
from tests.world import World
from tests.world import world as world  # the module-scoped world fixture

pytestmark = pytest.mark.django_db

# Latin-letter words a Chinese page may show: names of formats, products, protocols
# and standard abbreviations that Chinese business software writes as they are.
LATIN_ON_CHINESE_PAGES = frozenset(
    [
        "CSV",
        "Excel",
        "Word",  # 下载 Word: the policy as a Word file
        # The two libraries a year's working days may come from (chinese-calendar and
        # holidays), named as published.
        "chinese",
        "calendar",
        "holidays",
        "xlsx",
        "csv",
        "API",
        "URL",
        "HTTP",
        "HTTPS",
        "JSON",
        "ID",
        "iCal",
        "ICS",
        "ics",
        "OpenAPI",
        "Token",
        "token",
        "Bearer",
        "NPS",
        "CSAT",
        "WeCom",
        "DingTalk",
        "Feishu",
        "Webhook",
        "webhook",
        "SMTP",
        "Email",
        "email",
        "PDF",
        "PNG",
        "JPEG",
        "WEBP",
        "MB",
        "KB",
        "Office",
        "Windows",
        "macOS",
        "Outlook",
        "Google",
        "Apple",
        "Huifang",
    ]
)
ROLES = ("admin", "quality", "owner", "colleague", "outsider_pm", "executive")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
SPOKEN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _VisibleText(HTMLParser):
    """Collects the text a person sees or hears, minus elements in another language."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.parts: list[str] = []
        self._skip: list[str] = []  # open elements whose text does not count

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        other_language = values.get("lang") not in (None, self.language)
        if tag in ("script", "style", "code", "kbd") or other_language:
            if tag not in ("br", "hr", "img", "input", "meta", "link"):
                self._skip.append(tag)
            return
        if not self._skip:
            self.parts.extend(str(values[a]) for a in SPOKEN_ATTRIBUTES if values.get(a))

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _user_data() -> list[str]:
    """Every text value stored in the database, longest first."""
    values: set[str] = set()
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            values.update(value.strip() for value in row if isinstance(value, str))
    return sorted((v for v in values if len(v) >= 3), key=len, reverse=True)


def _interface_text(html: str, language: str, user_data: list[str]) -> str:
    parser = _VisibleText(language)
    parser.feed(html)
    text = "\n".join(parser.parts)
    for value in user_data:
        if value in text:
            text = text.replace(value, " ")
    return text


def _leaks(text: str, language: str) -> list[str]:
    if language == "en":
        lines = [line.strip() for line in text.splitlines() if CJK.search(line)]
    else:
        lines = [
            line.strip()
            for line in text.splitlines()
            if any(w not in LATIN_ON_CHINESE_PAGES for w in LATIN_WORD.findall(line))
        ]
    return sorted(set(lines))


PAGES = sorted(
    name
    for name, rule in RULES.items()
    if "GET" in rule.methods
    and not rule.moves
    and any(EXPECTED[rule.rule][role] == OK for role in ROLES)
)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("name", PAGES)
def test_page_shows_interface_text_of_its_language_only(
    world: World,
    name: str,
    language: str,
) -> None:
    rule = RULES[name]
    url = reverse(name, kwargs=rule.kwargs(world))
    user_data = _user_data()
    leaks: dict[str, list[str]] = {}
    for role in ROLES:
        if EXPECTED[rule.rule][role] != OK:
            continue
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(world.users[role])
        with transaction.atomic():
            response = client.get(url)
            transaction.set_rollback(True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        found = _leaks(_interface_text(response.content.decode(), language, user_data), language)
        if found:
            leaks[role] = found
    assert leaks == {}


def test_the_rule_finds_a_leak() -> None:
    """Not vacuous: English text on a Chinese page and Chinese on an English one."""
    assert _leaks(_interface_text("<p>保存</p><p>Save</p>", "zh-hans", []), "zh-hans") == ["Save"]
    assert _leaks(_interface_text("<p>保存</p><p>Save</p>", "en", []), "en") == ["保存"]
    assert (
        _leaks(_interface_text('<option lang="en">English</option>', "zh-hans", []), "zh-hans")
        == []
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_outside_the_matrix_show_their_language_only(
    world: World,
    language: str,
) -> None:
    """The log-in page and a survey (anonymous), and the error pages."""
    anonymous = Client(HTTP_ACCEPT_LANGUAGE=language)
    executive = Client(HTTP_ACCEPT_LANGUAGE=language)
    executive.force_login(world.users["executive"])
    survey = f"{world.survey_url}?lang={'en' if language == 'en' else 'zh-hans'}"
    requests = [
        (anonymous, "/login/", 200),
        (anonymous, survey, 200),
        (executive, "/projects/999999/", 404),
        (executive, reverse("projects:edit", kwargs={"pk": world.project.pk}), 403),
    ]
    user_data = _user_data()
    leaks: dict[str, list[str]] = {}
    for client, url, status in requests:
        with transaction.atomic():
            response = client.get(url)
            transaction.set_rollback(True)
        assert response.status_code == status, url
        found = _leaks(_interface_text(response.content.decode(), language, user_data), language)
        if found:
            leaks[url] = found
    assert leaks == {}
