"""The main navigation, in one list, filtered by what the user may open.

Each entry names a URL and who sees it; the context processor hands the template only
the entries the signed-in user can use, so a link never leads to a 403."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from huifang.core import access, templating


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    # The first path segment that marks the item active, e.g. "projects".
    section: str
    allowed: Callable[[Any], bool] = lambda user: True
    # "manage": under the Manage menu. The bar has to fit on one line at 1280 px in
    # both languages for every role (an administrator sees twelve entries).
    group: str = ""


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("home", _("My work"), ""),
    NavItem("projects:list", _("Projects"), "projects"),
    NavItem("visits:list", _("Visits"), "visits"),
    NavItem("calendar:month", _("Calendar"), "calendar"),
    NavItem("actions:board", _("Actions"), "actions"),
    NavItem("customers:list", _("Customers"), "customers"),
    NavItem("surveys:tracking", _("Surveys"), "surveys"),
    NavItem("insights:dashboard", _("Dashboard"), "insights"),
    NavItem("policy:current", _("Policy"), "policy"),
    NavItem("transfer:index", _("Import / export"), "transfer", group="manage"),
    NavItem("accounts:users", _("Users"), "users", access.can_manage_users, group="manage"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "manage_navigation": []}
    section = request.path.strip("/").split("/", 1)[0]
    items: list[dict[str, Any]] = []
    manage: list[dict[str, Any]] = []
    for item in NAVIGATION:
        if not item.allowed(user):
            continue
        try:
            url = templating.url(item.url_name)
        except NoReverseMatch:
            # An area not installed in this build: no dead link.
            continue
        entry = {"url": url, "label": item.label, "active": item.section == section}
        (manage if item.group == "manage" else items).append(entry)
    try:
        profile_url = templating.url("accounts:profile")
    except NoReverseMatch:
        profile_url = ""
    return {"navigation": items, "manage_navigation": manage, "profile_url": profile_url}
