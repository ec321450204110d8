"""What each kind of notification says. Rendered once, inside
``translation.override(recipient's language)``, when the notification is created."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import NoReverseMatch
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huifang.core import templating
from huifang.notify.models import Kind


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str


def _reverse(name: str, pk: Any) -> str:
    try:
        # The learnt URL shapes: a sweep builds thousands of these.
        return templating.url(name, pk)
    except NoReverseMatch:
        return ""


def _visit_facts(visit: Any) -> dict[str, Any]:
    return {
        "visit": str(visit),
        "project": str(visit.project),
        "due": visit.due_date.isoformat(),
        "window": visit.window_start.isoformat(),
    }


def _visit(title: Promise, body: Promise) -> Callable[[Any, dict[str, Any]], Message]:
    def build(visit: Any, context: dict[str, Any]) -> Message:
        facts = {**_visit_facts(visit), **context}
        return Message(str(title) % facts, str(body) % facts, _reverse("visits:detail", visit.pk))

    return build


def _action(title: Promise, body: Promise) -> Callable[[Any, dict[str, Any]], Message]:
    def build(action: Any, context: dict[str, Any]) -> Message:
        facts = {
            "action": action.description[:80],
            "project": str(action.project),
            "due": action.due_date.isoformat(),
            **context,
        }
        return Message(str(title) % facts, str(body) % facts, _reverse("actions:detail", action.pk))

    return build


def _digest(user: Any, context: dict[str, Any]) -> Message:
    lines = [
        _("Visits due in the next 7 days: %(count)d") % {"count": context.get("upcoming", 0)},
        _("Overdue visits: %(count)d") % {"count": context.get("overdue", 0)},
        _("Visits to schedule: %(count)d") % {"count": context.get("to_schedule", 0)},
        _("Open actions: %(count)d") % {"count": context.get("open_actions", 0)},
        _("Overdue actions: %(count)d") % {"count": context.get("overdue_actions", 0)},
    ]
    title = _("Weekly digest for week %(week)s") % {"week": context.get("week", "")}
    return Message(title, "\n".join(lines), templating.url("home"))


def _past_end(project: Any, context: dict[str, Any]) -> Message:
    facts = {"project": str(project), "end": project.planned_end.isoformat()}
    return Message(
        _("Project %(project)s is past its planned end") % facts,
        _(
            "Project %(project)s was planned to end on %(end)s but is not completed. "
            "Complete it or move its planned end."
        )
        % facts,
        _reverse("projects:detail", project.pk),
    )


def _detractor(subject: Any, context: dict[str, Any]) -> Message:
    facts = {
        "project": str(context.get("project", "")),
        "customer": str(context.get("customer", "")),
        "score": context.get("score", ""),
    }
    body = _("%(customer)s rated %(project)s %(score)s.") % facts
    if context.get("comment"):
        body += "\n" + str(context["comment"])
    url = str(context.get("url", "")) or (
        subject.get_absolute_url() if hasattr(subject, "get_absolute_url") else ""
    )
    return Message(_("Unhappy customer on %(project)s") % facts, body, url)


def _moved_by_calendar(subject: Any, context: dict[str, Any]) -> Message:
    from huifang.policy.models import PhaseChoices

    lines = []
    for project, phase, sequence, old, new in context.get("moves", []):
        label = str(PhaseChoices(phase).label) + (f" #{sequence}" if sequence else "")
        lines.append(
            _("%(project)s, %(visit)s: due %(new)s (was %(old)s)")
            % {"project": project, "visit": label, "new": new, "old": old}
        )
    if context.get("more"):
        lines.append(_("… and %(count)d more.") % {"count": context["more"]})
    facts = {"year": context.get("year", "")}
    intro = (
        _(
            "The national holidays and adjusted workdays of %(year)s were loaded; "
            "these visits of yours now fall due on another day:"
        )
        % facts
    )
    return Message(
        _("Visits moved by the %(year)s national holidays") % facts,
        "\n".join([intro, *lines]),
        templating.url("calendar:month"),
    )


def _calendar_missing(subject: Any, context: dict[str, Any]) -> Message:
    facts = {"year": context.get("year", "")}
    return Message(
        _("Load the %(year)s national holidays") % facts,
        _(
            "Huifang has no adjusted workdays (调休) for %(year)s yet, so due dates in "
            "%(year)s ignore the weekends people work. When the State Council publishes "
            "its notice on the %(year)s holidays, paste it into the national holidays page."
        )
        % facts,
        templating.url("policy:national_days"),
    )


BUILDERS: dict[str, Callable[[Any, dict[str, Any]], Message]] = {
    Kind.VISIT_UPCOMING: _visit(
        gettext_lazy("Visit due on %(due)s: %(project)s"),
        gettext_lazy("Your visit %(visit)s for %(project)s is due on %(due)s."),
    ),
    Kind.VISIT_DUE_TODAY: _visit(
        gettext_lazy("Visit due today: %(project)s"),
        gettext_lazy("Your visit %(visit)s for %(project)s is due today (%(due)s)."),
    ),
    Kind.VISIT_OVERDUE: _visit(
        gettext_lazy("Visit overdue: %(project)s"),
        gettext_lazy("Your visit %(visit)s for %(project)s was due on %(due)s and is not done."),
    ),
    Kind.VISIT_ESCALATED_PM: _visit(
        gettext_lazy("Escalation: visit %(days)s days overdue on %(project)s"),
        gettext_lazy("The visit %(visit)s for %(project)s (owner: %(owner)s) was due on %(due)s."),
    ),
    Kind.VISIT_ESCALATED_QUALITY: _visit(
        gettext_lazy("Escalation: visit %(days)s days overdue on %(project)s"),
        gettext_lazy("The visit %(visit)s for %(project)s (owner: %(owner)s) was due on %(due)s."),
    ),
    Kind.VISIT_MISSED: _visit(
        gettext_lazy("Visit missed: %(project)s"),
        gettext_lazy(
            "The visit %(visit)s for %(project)s was due on %(due)s and is now marked missed."
        ),
    ),
    Kind.VISIT_WINDOW_OPEN: _visit(
        gettext_lazy("Schedule the visit for %(project)s"),
        gettext_lazy(
            "The window for visit %(visit)s of %(project)s opened on %(window)s and it is "
            "not scheduled yet. It is due on %(due)s."
        ),
    ),
    Kind.ACTION_DUE_SOON: _action(
        gettext_lazy("Action due on %(due)s: %(project)s"),
        gettext_lazy("Your improvement action “%(action)s” for %(project)s is due on %(due)s."),
    ),
    Kind.ACTION_OVERDUE: _action(
        gettext_lazy("Action overdue: %(project)s"),
        gettext_lazy("Your improvement action “%(action)s” for %(project)s was due on %(due)s."),
    ),
    Kind.WEEKLY_DIGEST: _digest,
    Kind.PROJECT_PAST_END: _past_end,
    Kind.SURVEY_DETRACTOR: _detractor,
    Kind.VISITS_MOVED_BY_CALENDAR: _moved_by_calendar,
    Kind.NATIONAL_CALENDAR_MISSING: _calendar_missing,
}


def build_message(kind: str, subject: models.Model, context: dict[str, Any]) -> Message:
    builder = BUILDERS.get(kind)
    if builder is not None:
        return builder(subject, context)
    # A kind this module does not know yet: the caller's own words, else the subject.
    return Message(
        str(context.get("title") or subject),
        str(context.get("body", "")),
        str(context.get("url", "")),
    )
