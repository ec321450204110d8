"""Pages are the same through the data version's cache as without it.

The main pages, for each kind of person, in both languages: rendered through the cache
(the first pass fills it, the second reads it) and with the cache switched off
(``HUIFANG_DATAVERSION_CACHE``), with identical output apart from the CSRF tokens,
which change with every response. The people take turns, so every page is read from
entries that others of different scopes and languages have just stored: a value that
crossed a user, a scope or a language would show on a page as a difference."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Model
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huifang.core.models import Role, User
from huifang.projects.models import Project
from huifang.visits.models import Visit, VisitRecord
from tests.factories import UserFactory
from tests.world import PLAN_DAY, build_world

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ("zh-hans", "en")
# The person each role is played by (build_world's pm1 and member1 run project P-001).
PEOPLE = ("admin", "quality", "pm1", "member1", "executive")
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": ?)"[^"]*"')
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Place:
    users: dict[str, User]
    project: Project
    visit: Visit
    recorded_visit: Visit
    other_project: Project


@pytest.fixture
def place() -> Place:
    """Two projects (P-001 of pm1 and member1, P-002 of pm2 and member2) with one of
    every business object, committed, and the organisation-wide roles."""
    at = datetime.datetime.combine(PLAN_DAY, datetime.time(9), ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at, tick=False):
        first: dict[type[Model], Any] = build_world(1)
        second: dict[type[Model], Any] = build_world(2)
    users = {
        "admin": UserFactory.create(
            username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True
        ),
        "quality": UserFactory.create(username="quality", role=Role.QUALITY),
        "executive": UserFactory.create(username="executive", role=Role.EXECUTIVE),
        **{name: User.objects.get(username=name) for name in ("pm1", "member1", "pm2")},
    }
    return Place(
        users=users,
        project=first[Project],
        visit=first[Visit],
        recorded_visit=first[VisitRecord].visit,
        other_project=second[Project],
    )


# Pages for those who see every project; the others get 403.
NOT_FOR_TEAMS = ("management home", "scorecards")
YEAR = "date_from=2026-01-01&date_to=2026-12-31"
PAGES: dict[str, Callable[[Place], str]] = {
    "home": lambda p: reverse("home") + "?mine=1",
    "management home": lambda p: reverse("insights:management"),
    "project list": lambda p: reverse("projects:list"),
    "project": lambda p: reverse("projects:detail", args=[p.project.pk]),
    "visit list": lambda p: reverse("visits:list"),
    "visit": lambda p: reverse("visits:detail", args=[p.recorded_visit.pk]),
    "record form": lambda p: reverse("visits:record", args=[p.visit.pk]),
    "action board": lambda p: reverse("actions:board"),
    "action list": lambda p: reverse("actions:list"),
    "customers": lambda p: reverse("customers:list"),
    "dashboard": lambda p: reverse("insights:dashboard") + "?" + YEAR,
    "metrics API": lambda p: "/api/v1/metrics/summary?" + YEAR,
    "feedback summary": lambda p: reverse("insights:feedback") + "?" + YEAR,
    "project report": lambda p: reverse("insights:project_report", args=[p.project.pk]),
    "scorecards": lambda p: reverse("insights:scorecards"),
    "calendar": lambda p: reverse("calendar:month") + "?month=2026-04",
    "notifications": lambda p: reverse("notify:list"),
    "survey tracking": lambda p: reverse("surveys:tracking"),
}


def _shown(response: Any) -> tuple[int, str]:
    """What a person gets: the status and the body without its CSRF tokens."""
    body = response.content.decode()
    return response.status_code, CSRF.sub(r"\1-", body)


def _clients(place: Place, names: tuple[str, ...]) -> dict[tuple[str, str], Client]:
    clients = {}
    for name in names:
        for language in LANGUAGES:
            client = Client(HTTP_ACCEPT_LANGUAGE=language)
            client.force_login(place.users[name])
            clients[name, language] = client
    return clients


def _visit_all(
    clients: dict[tuple[str, str], Client], urls: dict[str, str]
) -> tuple[dict[tuple[str, str, str], tuple[int, str]], int]:
    """Every page for every person and language, person by person; the pages and the
    number of queries it took."""
    shown = {}
    with CaptureQueriesContext(connection) as queries:
        for (name, language), client in clients.items():
            for page, url in urls.items():
                shown[page, name, language] = _shown(client.get(url))
    return shown, len(queries)


def test_pages_are_the_same_through_the_cache_and_without_it(place: Place) -> None:
    urls = {page: url(place) for page, url in PAGES.items()}
    clients = _clients(place, PEOPLE)
    filled, _ = _visit_all(clients, urls)
    kept, kept_queries = _visit_all(clients, urls)
    with override_settings(HUIFANG_DATAVERSION_CACHE=False):
        fresh, fresh_queries = _visit_all(clients, urls)
    refused = {
        (page, person)
        for page, person, _language in fresh
        if fresh[page, person, _language][0] != 200
    }
    assert refused == {
        *((page, person) for page in NOT_FOR_TEAMS for person in ("pm1", "member1")),
        ("record form", "executive"),
    }
    differing = sorted(key for key in fresh if kept[key] != fresh[key])
    assert differing == []
    assert sorted(key for key in fresh if filled[key] != fresh[key]) == []
    # Not vacuous: the second pass came from the cache.
    assert kept_queries < fresh_queries * 0.8


def test_a_cached_page_never_shows_another_scope_or_language(place: Place) -> None:
    """pm1 fills the cache with P-001 in Chinese; pm2, who runs P-002 only, and pm1 in
    English then read from the same cache."""
    urls = {page: PAGES[page](place) for page in ("home", "project list", "visit list")}
    urls["action board"] = PAGES["action board"](place)
    clients = _clients(place, ("pm1", "pm2"))
    mine, theirs = place.project.code, place.other_project.code
    for page, url in urls.items():
        first = clients["pm1", "zh-hans"].get(url).content.decode()
        other = clients["pm2", "zh-hans"].get(url).content.decode()
        assert (mine in first, theirs in first) == (True, False), page
        assert (mine in other, theirs in other) == (False, True), page

    dashboard = PAGES["dashboard"](place)
    chinese = clients["pm1", "zh-hans"].get(dashboard).context["data"]
    english = clients["pm1", "en"].get(dashboard).context["data"]
    with override_settings(HUIFANG_DATAVERSION_CACHE=False):
        english_fresh = clients["pm1", "en"].get(dashboard).context["data"]
    assert english == english_fresh
    assert (bool(CJK.search(repr(chinese))), bool(CJK.search(repr(english)))) == (True, False)

    history = PAGES["project"](place)
    chinese_page = clients["pm1", "zh-hans"].get(history)
    english_page = clients["pm1", "en"].get(history)
    chinese_history = repr(chinese_page.context["audit_history"])
    english_history = repr(english_page.context["audit_history"])
    assert (bool(CJK.search(chinese_history)), bool(CJK.search(english_history))) == (True, False)
