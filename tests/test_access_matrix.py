"""The access matrix: every page of the URL configuration × every role × every method.

``RULES`` gives each URL name its access rule and the methods it answers; ``EXPECTED``
turns a rule into the status each role gets. A URL name found in the URLconf but not in
``RULES`` fails ``test_every_url_has_an_access_rule``, so a new page cannot ship without
one. The JSON API under /api/v1/ is covered by tests/api/test_access.py (built from the
OpenAPI schema) and the Django admin by its own staff gate (asserted below).

One world is built per module (tests/test_admin.build_world: a project managed by
``pm1`` with ``member1`` on the team, and one of every business object) inside a
transaction that is rolled back at the end; each test, and each request of the matrix,
runs in a savepoint inside it, so every request meets the same world.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.db import transaction
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from huifang.actions.models import ImprovementAction
from huifang.api.models import ApiToken
from huifang.core.calendar_feed import create_calendar_feed
from huifang.core.models import Role, User
from huifang.customers.models import Contact
from huifang.insights.models import Meeting, Review, Suggestion, TrainingSession
from huifang.notify.models import Delivery, DeliveryStatus, Notification, WebhookEndpoint
from huifang.policy.models import CompanyDay, PolicyVersion
from huifang.policy.services import create_policy_draft
from huifang.projects.models import Project
from huifang.surveys.models import Questionnaire, SurveyInvitation
from huifang.surveys.services import invite_contacts
from huifang.visits.models import Attachment, Visit, VisitRecord
from tests.factories import UserFactory
from tests.pages import form_version
from tests.test_admin import PLAN_DAY, build_world

pytestmark = pytest.mark.django_db

ROLES = (
    "admin",
    "quality",
    "owner",
    "colleague",
    "outsider",
    "outsider_pm",
    "executive",
    "anonymous",
)
# Namespaces with their own access tests: the JSON API (built from the OpenAPI schema in
# tests/api/test_access.py) and Django's admin site (staff gate, test below).
API_ACCESS_TEST = Path(__file__).parent / "api" / "test_access.py"
# What a role gets: an HTTP status, or one of these outcomes.
OK = "ok"  # allowed: 200 on GET; on POST with an empty body 200 (form errors), 302 or 400
MOVED = "moved"  # allowed, answered with a redirect that is not the login page
LOGIN = "login"  # anonymous: a redirect to the login page
DENIED = 403
HIDDEN = 404
NOT_ALLOWED = 405
Outcome = int | str


def _everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(ROLES, outcome)


def _signed_in(**overrides: Outcome) -> dict[str, Outcome]:
    return {**_everyone(OK), "anonymous": LOGIN, **overrides}


_OUTSIDE = {"outsider": HIDDEN, "outsider_pm": HIDDEN}
_MEMBERS = dict.fromkeys(("owner", "colleague", "outsider", "outsider_pm"), DENIED)

# Rule → the outcome each role gets. The project is managed by ``owner`` with
# ``colleague`` on its team (and owning its improvement action); ``outsider`` and
# ``outsider_pm`` have no part in it.
EXPECTED: dict[str, dict[str, Outcome]] = {
    "public": _everyone(OK),
    "public_redirect": _everyone(MOVED),
    "login_page": {**_everyone(MOVED), "anonymous": OK},
    "logged_out": _everyone(LOGIN),
    "bad_token": _everyone(HIDDEN),
    "signed_in": _signed_in(),
    # Quality managers and executives land on the management home.
    "home": _signed_in(quality=MOVED, executive=MOVED),
    "writer": _signed_in(executive=DENIED),
    "create_project": _signed_in(colleague=DENIED, outsider=DENIED, executive=DENIED),
    # Project managers see every customer: they pick one when they create a project.
    "customer_visible": _signed_in(outsider=HIDDEN),
    "customer_edit": _signed_in(colleague=DENIED, outsider=HIDDEN, executive=DENIED),
    "project_visible": _signed_in(**_OUTSIDE),
    "project_manage": _signed_in(**_OUTSIDE, colleague=DENIED, executive=DENIED),
    "record_visit": _signed_in(**_OUTSIDE, executive=DENIED),
    "change_action": _signed_in(**_OUTSIDE, executive=DENIED),
    "sees_all": _signed_in(**_MEMBERS),  # admin, quality and the executive
    "policy_manage": _signed_in(**_MEMBERS, executive=DENIED),
    "admin_only": _signed_in(**_MEMBERS, quality=DENIED, executive=DENIED),
    "own_object": {**_everyone(HIDDEN), "owner": OK, "anonymous": LOGIN},
    "own_object_redirect": {**_everyone(HIDDEN), "owner": MOVED, "anonymous": LOGIN},
}

# Views without @login_required: a wrong method is refused before anything else.
OPEN_RULES = {"public", "public_redirect", "login_page", "logged_out", "bad_token"}


def _no_kwargs(world: World) -> dict[str, Any]:
    return {}


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")


@dataclass(frozen=True)
class Rule:
    """The rule for GET (and for POST unless ``post`` names another) and the methods the
    view answers; any other method answers 405."""

    rule: str
    methods: tuple[str, ...] = GET
    kwargs: Callable[[World], dict[str, Any]] = _no_kwargs
    post: str = ""
    moves: bool = False  # an allowed GET answers a redirect (to the page holding the form)


def _pk(attr: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"pk": getattr(w, attr).pk}


def _project_pk(w: World) -> dict[str, Any]:
    return {"project_pk": w.project.pk}


def _customer_pk(w: World) -> dict[str, Any]:
    return {"pk": w.project.customer_id}


def _bad_token(w: World) -> dict[str, Any]:
    return {"token": "not-a-token"}


# Views that answer both GET and POST although they only read ("BOTH" without a form)
# render the same page for either method: the rule holds for both.
RULES: dict[str, Rule] = {
    "home": Rule("home"),
    "login": Rule("login_page", BOTH),
    "logout": Rule("logged_out", POST),
    "set_language": Rule("public_redirect", BOTH),
    "healthz": Rule("public"),
    "favicon": Rule("public_redirect"),
    "projects:list": Rule("signed_in"),
    "projects:create": Rule("create_project", BOTH),
    "projects:detail": Rule("project_visible", kwargs=_pk("project")),
    "projects:edit": Rule("project_manage", BOTH, _pk("project")),
    "projects:hold": Rule("project_manage", POST, _pk("project")),
    "projects:resume": Rule("project_manage", POST, _pk("project")),
    "projects:complete": Rule("project_manage", POST, _pk("project")),
    "projects:cancel": Rule("project_manage", POST, _pk("project")),
    "customers:list": Rule("signed_in"),
    "customers:create": Rule("create_project", BOTH),
    "customers:detail": Rule("customer_visible", kwargs=_customer_pk),
    "customers:edit": Rule("customer_edit", BOTH, _customer_pk),
    "visits:list": Rule("signed_in"),
    "visits:detail": Rule("project_visible", kwargs=_pk("visit")),
    "visits:record": Rule("record_visit", BOTH, _pk("visit")),
    "visits:amend": Rule("record_visit", BOTH, _pk("recorded_visit")),
    "visits:schedule": Rule("project_manage", BOTH, _pk("visit")),
    "visits:cancel": Rule("project_manage", BOTH, _pk("visit")),
    "visits:reassign": Rule("project_manage", BOTH, _pk("visit")),
    "visits:upload": Rule("record_visit", POST, _pk("visit")),
    "visits:adhoc": Rule("project_manage", BOTH, _project_pk),
    "visits:attachment": Rule("project_visible", kwargs=_pk("attachment")),
    "visits:attachment_delete": Rule("record_visit", POST, _pk("attachment")),
    "actions:board": Rule("signed_in"),
    "actions:list": Rule("signed_in"),
    "actions:detail": Rule("project_visible", kwargs=_pk("action")),
    "actions:update": Rule("change_action", BOTH, _pk("action"), moves=True),
    "actions:done": Rule("change_action", BOTH, _pk("action"), moves=True),
    "calendar:month": Rule("signed_in"),
    "calendar:week": Rule("signed_in"),
    "calendar:feed_settings": Rule("signed_in", BOTH),
    "calendar:feed": Rule("bad_token", kwargs=_bad_token),
    "policy:current": Rule("signed_in"),
    "policy:versions": Rule("signed_in"),
    # The world's policy has a draft already: GET leads on to it.
    "policy:new_draft": Rule("policy_manage", BOTH, moves=True),
    "policy:version": Rule("signed_in", kwargs=_pk("version")),
    "policy:edit_draft": Rule("policy_manage", BOTH, _pk("draft")),
    "policy:publish": Rule("policy_manage", BOTH, _pk("draft")),
    "policy:company_days": Rule("signed_in", BOTH, post="policy_manage"),
    "policy:national_days": Rule("signed_in", BOTH, post="policy_manage"),
    "policy:company_day_remove": Rule("policy_manage", POST, _pk("company_day")),
    "accounts:users": Rule("admin_only"),
    "accounts:user_create": Rule("admin_only", BOTH),
    "accounts:user_edit": Rule("admin_only", BOTH, _pk("leaver")),
    "accounts:user_deactivate": Rule("admin_only", POST, _pk("leaver")),
    "accounts:profile": Rule("signed_in", BOTH),
    "accounts:password_change": Rule("signed_in", BOTH),
    "accounts:password_change_done": Rule("signed_in"),
    "notify:list": Rule("signed_in", BOTH),
    "notify:open": Rule("own_object_redirect", BOTH, _pk("notification")),
    "notify:mark_read": Rule("own_object", POST, _pk("notification")),
    "notify:mark_all_read": Rule("signed_in", POST),
    "notify:preferences": Rule("signed_in", BOTH),
    "notify:webhooks": Rule("admin_only", BOTH),
    "notify:webhook_create": Rule("admin_only", BOTH),
    "notify:webhook_edit": Rule("admin_only", BOTH, _pk("webhook")),
    "notify:webhook_test": Rule("admin_only", POST, _pk("webhook")),
    "notify:failures": Rule("admin_only", BOTH),
    "notify:delivery_retry": Rule("admin_only", POST, _pk("delivery")),
    "surveys:answer": Rule("bad_token", BOTH, _bad_token),
    "surveys:tracking": Rule("signed_in", BOTH),
    "surveys:project_tracking": Rule("project_visible", BOTH, _project_pk),
    "surveys:invite": Rule("record_visit", BOTH, lambda w: {"visit_pk": w.recorded_visit.pk}),
    "surveys:resend": Rule("record_visit", POST, _pk("invitation")),
    "surveys:new_link": Rule("record_visit", POST, _pk("invitation")),
    "surveys:revoke": Rule("record_visit", POST, _pk("invitation")),
    "surveys:questionnaires": Rule("signed_in", BOTH),
    "surveys:questionnaire_detail": Rule("signed_in", BOTH, _pk("questionnaire")),
    "surveys:questionnaire_edit": Rule("policy_manage", BOTH, lambda w: {"phase": "any"}),
    "insights:dashboard": Rule("signed_in"),
    "insights:management": Rule("sees_all"),
    "insights:scorecards": Rule("sees_all"),
    "insights:feedback": Rule("signed_in"),
    "insights:project_report": Rule("project_visible", kwargs=_pk("project")),
    "insights:export_records": Rule("signed_in"),
    "insights:export_actions": Rule("signed_in"),
    "insights:reviews": Rule("sees_all"),
    "insights:review_create": Rule("policy_manage", BOTH),
    "insights:review": Rule("sees_all", BOTH, _pk("review"), post="policy_manage"),
    "insights:review_action": Rule("policy_manage", POST, _pk("review")),
    "insights:review_revision": Rule("policy_manage", POST, _pk("review")),
    "insights:review_report": Rule("sees_all", kwargs=_pk("review")),
    "insights:review_export": Rule("sees_all", kwargs=_pk("review")),
    "insights:meetings": Rule("sees_all"),
    "insights:meeting_create": Rule("policy_manage", BOTH),
    "insights:meeting": Rule("sees_all", BOTH, _pk("meeting"), post="policy_manage"),
    "insights:acknowledge": Rule("signed_in", BOTH),
    "insights:acknowledgements": Rule("sees_all"),
    "insights:trainings": Rule("sees_all", BOTH, post="policy_manage"),
    "insights:training": Rule("sees_all", BOTH, _pk("training"), post="policy_manage"),
    "insights:suggestions": Rule("signed_in", BOTH, post="writer"),
    "insights:suggestion_answer": Rule("policy_manage", BOTH, _pk("suggestion")),
    "api:tokens": Rule("signed_in", BOTH),
    "api:token_revoke": Rule("own_object", POST, _pk("token")),
    "transfer:index": Rule("signed_in"),
    "transfer:template": Rule("signed_in", kwargs=lambda w: {"kind": "customers", "fmt": "csv"}),
    "transfer:preview": Rule("create_project", POST),
    "transfer:confirm": Rule("create_project", POST),
    "transfer:export": Rule("signed_in", kwargs=lambda w: {"kind": "projects", "fmt": "csv"}),
}


@dataclass
class World:
    users: dict[str, User]
    project: Project
    visit: Visit
    recorded_visit: Visit
    attachment: Attachment
    action: ImprovementAction
    version: PolicyVersion
    draft: PolicyVersion
    company_day: CompanyDay
    leaver: User  # an account the admin pages edit and deactivate
    notification: Notification
    webhook: WebhookEndpoint
    delivery: Delivery
    invitation: SurveyInvitation
    questionnaire: Questionnaire
    review: Review
    meeting: Meeting
    training: TrainingSession
    suggestion: Suggestion
    token: ApiToken
    survey_url: str  # a fresh survey link (the matrix itself tries a wrong token)
    feed_token: str  # the owner's calendar feed
    other: dict[type[Model], Any]  # a second world (project P-002) nobody above is part of


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


def _is_own_view(pattern: URLPattern) -> bool:
    return str(getattr(pattern.callback, "__module__", "")).startswith(("huifang", "django"))


def url_names() -> list[str]:
    """Every named page, minus the admin site and the ninja API operations."""
    return sorted(
        name
        for name, pattern in _walk(get_resolver().url_patterns)
        if not name.startswith("admin:")
        and not (name.startswith("api:") and not _is_own_view(pattern))
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        at = datetime.datetime.combine(PLAN_DAY, datetime.time(9), ZoneInfo("Asia/Shanghai"))
        with time_machine.travel(at, tick=False):
            sample: dict[type[Model], Any] = build_world(1)
            other = build_world(2)
        project: Project = sample[Project]
        users = {
            "admin": UserFactory.create(
                username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True
            ),
            "quality": UserFactory.create(username="quality", role=Role.QUALITY),
            "owner": project.manager,
            "colleague": project.memberships.get().user,
            "outsider": UserFactory.create(username="outsider", role=Role.MEMBER),
            "outsider_pm": UserFactory.create(username="outsider_pm", role=Role.PROJECT_MANAGER),
            "executive": UserFactory.create(username="executive", role=Role.EXECUTIVE),
        }
        delivery = sample[Delivery]
        Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
        yield World(
            users=users,
            project=project,
            visit=sample[Visit],
            recorded_visit=sample[VisitRecord].visit,
            attachment=sample[Attachment],
            action=sample[ImprovementAction],
            version=sample[PolicyVersion],
            draft=create_policy_draft(policy=sample[PolicyVersion].policy),
            company_day=sample[CompanyDay],
            leaver=UserFactory.create(username="leaver", role=Role.MEMBER),
            notification=sample[Notification],
            webhook=sample[WebhookEndpoint],
            delivery=delivery,
            invitation=sample[SurveyInvitation],
            questionnaire=sample[Questionnaire],
            review=sample[Review],
            meeting=sample[Meeting],
            training=sample[TrainingSession],
            suggestion=sample[Suggestion],
            token=sample[ApiToken],
            survey_url=invite_contacts(
                visit=sample[Visit], contacts=[sample[Contact]], invited_by=project.manager
            )[0].url,
            feed_token=create_calendar_feed(user=project.manager)[1],
            other=other,
        )
        transaction.set_rollback(True)


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
    assert world.project.code.encode() not in response.content
    assert world.project.name.encode() not in response.content


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
