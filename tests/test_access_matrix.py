"""The access matrix: every page of the URL configuration × every role × every method.

tests/access_rules.py gives each URL name its access rule (``RULES``) and turns a rule
into the status each role gets (``EXPECTED``). A URL name found in the URLconf but not
in ``RULES`` fails ``test_every_url_has_an_access_rule``, so a new page cannot ship
without one. The JSON API under /api/v1/ is covered by tests/api/test_access.py (built
from the OpenAPI schema) and the Django admin by its own staff gate (asserted below).

The world (tests/world.py: a project managed by ``pm1`` with ``member1`` on the team,
and one of every business object) is built once per module inside a transaction that
is rolled back at the end; each test, and each request of the matrix, runs in a
savepoint inside it, so every request meets the same world.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.db import transaction
from django.test import Client
from django.urls import reverse

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.surveys.models import SurveyInvitation
from huifang.visits.models import Visit
from tests.access_rules import (
    EXPECTED,
    LOGIN,
    MOVED,
    NOT_ALLOWED,
    OK,
    OPEN_RULES,
    ROLES,
    RULES,
    Outcome,
    Rule,
    url_names,
)
from tests.pages import form_version
from tests.world import World
from tests.world import world as world  # the module-scoped world fixture

pytestmark = pytest.mark.django_db

# Namespaces with their own access tests: the JSON API (built from the OpenAPI schema in
# tests/api/test_access.py) and Django's admin site (staff gate, test below).
API_ACCESS_TEST = Path(__file__).parent / "api" / "test_access.py"


def _client(world: World, role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _outcome_matches(method: str, expected: Outcome, response: Any) -> bool:
    status: int = response.status_code
    to_login = status == 302 and response["Location"].startswith("/login/")
    if expected == OK:
        return (
            status == 200
            if method == "GET"
            else status in {200, 400} or (status == 302 and not to_login)
        )
    if expected == MOVED:
        return status == 302 and not to_login
    if expected == LOGIN:
        return to_login
    return status == expected


def _expected(rule: Rule, role: str, method: str) -> Outcome:
    if method not in rule.methods:
        login_first = rule.rule not in OPEN_RULES
        return LOGIN if role == "anonymous" and login_first else NOT_ALLOWED
    expected = EXPECTED[rule.post if method == "POST" and rule.post else rule.rule][role]
    return MOVED if expected == OK and method == "GET" and rule.moves else expected


def test_every_url_has_an_access_rule() -> None:
    assert sorted(set(url_names()) - set(RULES)) == []
    assert sorted(set(RULES) - set(url_names())) == []


def test_api_namespace_is_covered_by_its_schema_driven_access_test() -> None:
    assert API_ACCESS_TEST.is_file()
    assert "def test_every_endpoint_has_a_case" in API_ACCESS_TEST.read_text()


@pytest.mark.parametrize("name", sorted(RULES))
def test_access_matches_the_rule(world: World, name: str) -> None:
    rule = RULES[name]
    url = reverse(name, kwargs=rule.kwargs(world))
    wrong: list[str] = []
    for role in ROLES:
        client = _client(world, role)
        for method in ("GET", "POST"):
            with transaction.atomic():  # every request starts from the same world
                response = getattr(client, method.lower())(url)
                transaction.set_rollback(True)
            expected = _expected(rule, role, method)
            if not _outcome_matches(method, expected, response):
                wrong.append(f"{method} {role}: {response.status_code} != {expected}")
    assert wrong == []


def test_admin_site_is_for_staff_only(world: World) -> None:
    anonymous = _client(world, "anonymous").get("/admin/")
    member = _client(world, "owner").get("/admin/")
    assert (anonymous.status_code, anonymous["Location"]) == (302, "/admin/login/?next=/admin/")
    assert (member.status_code, member["Location"]) == (302, "/admin/login/?next=/admin/")
    assert _client(world, "admin").get("/admin/").status_code == 200


def test_token_pages_open_to_anyone_with_the_right_token(world: World) -> None:
    anonymous = _client(world, "anonymous")
    survey = anonymous.get(world.survey_url)
    feed = anonymous.get(reverse("calendar:feed", kwargs={"token": world.feed_token}))
    assert (survey.status_code, feed.status_code) == (200, 200)
    assert feed["Content-Type"].startswith("text/calendar")


# Every page the outsider may open, with the invisible project's ids in the query string.
OPEN_TO_OUTSIDER = sorted(
    name
    for name, rule in RULES.items()
    if EXPECTED[rule.rule]["outsider"] == OK and "GET" in rule.methods and not rule.moves
)


def _query(world: World) -> dict[str, Any]:
    project = world.project
    return {"project": project.pk, "customer": project.customer_id, "review": world.review.pk}


@pytest.mark.parametrize("name", OPEN_TO_OUTSIDER)
def test_ids_in_the_query_string_do_not_leak(world: World, name: str) -> None:
    url = reverse(name, kwargs=RULES[name].kwargs(world))
    response = _client(world, "outsider").get(url, _query(world))
    assert response.status_code == 200
    # A downloaded file (the policy as Word or PDF) streams its body.
    streamed: Any = response
    body = b"".join(streamed.streaming_content) if response.streaming else response.content
    assert world.project.code.encode() not in body
    assert world.project.name.encode() not in body


@pytest.mark.parametrize(
    "name", ["visits:list", "actions:list", "projects:list", "transfer:export", "home"]
)
def test_query_string_check_would_see_a_visible_project(world: World, name: str) -> None:
    """The leak check above is not vacuous: the same request shows the code to its owner."""
    url = reverse(name, kwargs=RULES[name].kwargs(world))
    response = _client(world, "owner").get(url, _query(world))
    assert response.status_code == 200
    assert world.project.code.encode() in response.content


def test_reassign_to_someone_off_the_team_is_refused(world: World) -> None:
    stranger: User = world.other[Project].manager
    client = _client(world, "owner")
    page = reverse("visits:reassign", kwargs={"pk": world.visit.pk})
    response = client.post(page, {"owner": stranger.pk, "version": form_version(client, page)})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "owner": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert Visit.objects.get(pk=world.visit.pk).owner_id == world.visit.owner_id


def test_invite_a_contact_of_another_customer_is_refused(world: World) -> None:
    stranger = world.other[Project].customer.contacts.get()
    response = _client(world, "owner").post(
        reverse("surveys:invite", kwargs={"visit_pk": world.recorded_visit.pk}),
        {"contacts": [stranger.pk]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "contacts": [f"Select a valid choice. {stranger.pk} is not one of the available choices."]
    }
    assert SurveyInvitation.objects.filter(contact=stranger).count() == 1  # its own survey


def test_cached_select_options_render_as_djangos_own(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every model ``<select>`` whose options a page reads from the cache renders exactly
    what Django's own options render, attributes included (the project form's contact
    picker once lost its ``data-customer`` and, with it, every project's contacts)."""
    from django.forms.models import ModelChoiceIterator

    from huifang.core.forms import CachedChoiceIterator

    seen: list[tuple[str, Any]] = []
    original_init = CachedChoiceIterator.__init__

    def recording_init(self: CachedChoiceIterator, field: Any) -> None:
        original_init(self, field)
        seen.append((url, field))

    monkeypatch.setattr(CachedChoiceIterator, "__init__", recording_init)
    for role in ("admin", "owner"):
        client = _client(world, role)
        for name, rule in sorted(RULES.items()):
            if "GET" not in rule.methods or EXPECTED[rule.rule][role] != OK:
                continue
            url = reverse(name, kwargs=rule.kwargs(world))
            with transaction.atomic():
                client.get(url)
                transaction.set_rollback(True)

    differ: list[str] = []
    fields = {id(field): (url, field) for url, field in seen}
    for url, field in fields.values():
        first = next((pk for pk, _label in field.choices if pk != ""), None)
        multiple = isinstance(field.widget, forms.SelectMultiple)
        value = ([str(first)] if multiple else str(first)) if first is not None else None
        cached = field.widget.render("field", value)
        field.iterator = ModelChoiceIterator
        field.widget.choices = field.choices
        if field.widget.render("field", value) != cached:
            differ.append(f"{url}: {field.label}")
    assert len(fields) >= 20  # the pages' filters and forms were really looked at
    assert differ == []
