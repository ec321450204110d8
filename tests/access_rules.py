"""The access rule of every page: who may open it, who may post to it.

``RULES`` gives each URL name of the pages (not the JSON API, not the admin site) its
access rule, the methods it answers and the world's objects its URL needs; ``EXPECTED``
turns a rule into what each role gets. tests/test_access_matrix.py checks every page
against it (a URL name of the URLconf missing here fails there), and the page-wide
tests (tests/test_page_language.py, tests/test_form_fuzzing.py) find their pages in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.world import World

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
    # Not a page: off (404) unless monitoring is configured, and then a matter of a
    # bearer token or an address, not of a role (tests/monitoring/test_metrics_access.py).
    "switched_off": _everyone(HIDDEN),
    # Single sign-on URLs of a provider that is not configured (the world configures
    # none; tests/core/test_sso_access.py covers configured ones).
    "sso_not_configured": _everyone(HIDDEN),
    "second_step": {**_everyone(MOVED), "anonymous": LOGIN},
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
OPEN_RULES = {
    "public",
    "public_redirect",
    "login_page",
    "logged_out",
    "bad_token",
    "switched_off",
    "sso_not_configured",
    "second_step",
}


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
    # Without a password sign-in waiting for its code: back to the login page.
    "login_code": Rule("second_step", BOTH),
    "logout": Rule("logged_out", POST),
    "openid_connect_login": Rule("sso_not_configured", BOTH, lambda w: {"provider_id": "sso"}),
    "openid_connect_callback": Rule("sso_not_configured", BOTH, lambda w: {"provider_id": "sso"}),
    "dingtalk_login": Rule("sso_not_configured", BOTH),
    "dingtalk_callback": Rule("sso_not_configured", BOTH),
    "feishu_login": Rule("sso_not_configured", BOTH),
    "feishu_callback": Rule("sso_not_configured", BOTH),
    "set_language": Rule("public_redirect", BOTH),
    "healthz": Rule("public"),
    "readyz": Rule("public"),
    "metrics": Rule("switched_off"),
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
    "policy:version_docx": Rule("signed_in", kwargs=_pk("version")),
    "policy:version_pdf": Rule("signed_in", kwargs=_pk("version")),
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
    "accounts:two_factor": Rule("signed_in", BOTH),
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
    "insights:project_report_pdf": Rule("project_visible", kwargs=_pk("project")),
    "insights:export_records": Rule("signed_in"),
    "insights:export_actions": Rule("signed_in"),
    "insights:reviews": Rule("sees_all"),
    "insights:review_create": Rule("policy_manage", BOTH),
    "insights:review": Rule("sees_all", BOTH, _pk("review"), post="policy_manage"),
    "insights:review_action": Rule("policy_manage", POST, _pk("review")),
    "insights:review_revision": Rule("policy_manage", POST, _pk("review")),
    "insights:review_report": Rule("sees_all", kwargs=_pk("review")),
    "insights:review_report_pdf": Rule("sees_all", kwargs=_pk("review")),
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
