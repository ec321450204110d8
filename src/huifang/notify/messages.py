"""What each kind of notification says.

A notification keeps its kind (the message key) and parameters that are stable data
(names, dates, codes, counts: :func:`message_params`), and is worded in the reader's
language when it is read (:func:`render_message`: the inbox and the bell in the
language of the page, an e-mail in the recipient's when it is sent). Rendering reads
the parameters only, so a list of notifications costs no query per row."""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.urls import NoReverseMatch
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huifang.actions.wording import word_description
from huifang.core import templating
from huifang.notify.kinds import Kind
from huifang.policy.models import PhaseChoices
from huifang.visits.models import visit_name

VISIT_KINDS = (
    Kind.VISIT_UPCOMING,
    Kind.VISIT_DUE_TODAY,
    Kind.VISIT_OVERDUE,
    Kind.VISIT_ESCALATED_PM,
    Kind.VISIT_ESCALATED_QUALITY,
    Kind.VISIT_MISSED,
    Kind.VISIT_WINDOW_OPEN,
)


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str
    # What the notification keeps to be worded again in its reader's language.
    params: dict[str, Any] | None = None


def _reverse(name: str, pk: Any) -> str:
    try:
        # The learnt URL shapes: a sweep builds thousands of these.
        return templating.url(name, pk)
    except NoReverseMatch:
        return ""


# --- Parameters: stable data, read from the subject when the notification is made ---


def _visit_params(visit: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "phase": visit.phase,
        "sequence": visit.sequence,
        "due": visit.due_date.isoformat(),
        "window": visit.window_start.isoformat(),
        "project": str(visit.project),
        **context,
    }


def _action_params(action: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": action.description[:80],
        # A system-made action's words, worded again for each reader.
        "action_key": action.description_key,
        "action_params": action.description_params,
        "project": str(action.project),
        "due": action.due_date.isoformat(),
        **context,
    }


def _project_params(project: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {"project": str(project), "end": project.planned_end.isoformat(), **context}


def _plain_params(subject: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in context.items() if key != "url"}


# --- Rendering: in the active language, from the parameters alone (no query) ---------


def _visit_name(params: dict[str, Any]) -> str:
    # The visits app's one name for a visit, with its due date as str(visit) gives it.
    due = datetime.date.fromisoformat(params["due"])
    name = visit_name(phase=params["phase"], sequence=params.get("sequence"), due_date=due)
    return name if params.get("sequence") is None else f"{name} · {formats.date_format(due)}"


# Each kind's (title, body) wording, for reading old texts back (parse_params).
_TEMPLATES: dict[str, tuple[Promise, Promise]] = {}


def _shown_dates(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with their ISO dates written as the reader's language writes
    dates (the parameters keep ISO: stable data)."""
    shown = dict(params)
    for name in ("due", "window", "end"):
        value = params.get(name)
        # (Text read back from an old notification that is not a date: shown as it was.)
        if isinstance(value, str) and len(value) == 10:
            with contextlib.suppress(ValueError):
                shown[name] = formats.date_format(datetime.date.fromisoformat(value))
    return shown


def _visit(title: Promise, body: Promise) -> Callable[[dict[str, Any]], tuple[str, str]]:
    def render(params: dict[str, Any]) -> tuple[str, str]:
        facts = {**_shown_dates(params), "visit": _visit_name(params)}
        return str(title) % facts, str(body) % facts

    return render


def _action(title: Promise, body: Promise) -> Callable[[dict[str, Any]], tuple[str, str]]:
    def render(params: dict[str, Any]) -> tuple[str, str]:
        if params.get("action_key"):
            action = word_description(
                params["action_key"], params.get("action_params"), params.get("action", "")
            )
            params = {**params, "action": action[:80]}
        facts = _shown_dates(params)
        return str(title) % facts, str(body) % facts

    return render


def _digest(params: dict[str, Any]) -> tuple[str, str]:
    lines = [
        _("Visits due in the next 7 days: %(count)d") % {"count": params.get("upcoming", 0)},
        _("Overdue visits: %(count)d") % {"count": params.get("overdue", 0)},
        _("Visits to schedule: %(count)d") % {"count": params.get("to_schedule", 0)},
        _("Open actions: %(count)d") % {"count": params.get("open_actions", 0)},
        _("Overdue actions: %(count)d") % {"count": params.get("overdue_actions", 0)},
    ]
    title = _("Weekly digest for week %(week)s") % {"week": params.get("week", "")}
    return title, "\n".join(lines)


def _detractor(params: dict[str, Any]) -> tuple[str, str]:
    facts = {
        "project": str(params.get("project", "")),
        "customer": str(params.get("customer", "")),
        "score": params.get("score", ""),
    }
    body = _("%(customer)s rated %(project)s %(score)s.") % facts
    if params.get("comment"):
        body += "\n" + str(params["comment"])
    return _("Unhappy customer on %(project)s") % facts, body


def _moved_by_calendar(params: dict[str, Any]) -> tuple[str, str]:
    lines = []
    for project, phase, sequence, old, new in params.get("moves", []):
        due = datetime.date.fromisoformat(new)
        label = visit_name(phase=phase, sequence=sequence or None, due_date=due)
        lines.append(
            _("%(project)s, %(visit)s: due %(new)s (was %(old)s)")
            % {
                "project": project,
                "visit": label,
                "new": formats.date_format(due),
                "old": formats.date_format(datetime.date.fromisoformat(old)),
            }
        )
    if params.get("more"):
        lines.append(_("… and %(count)d more.") % {"count": params["more"]})
    facts = {"year": params.get("year", "")}
    intro = (
        _(
            "The national holidays and adjusted workdays of %(year)s were loaded; "
            "these visits of yours now fall due on another day:"
        )
        % facts
    )
    return _("Visits moved by the %(year)s national holidays") % facts, "\n".join([intro, *lines])


def _calendar_missing(params: dict[str, Any]) -> tuple[str, str]:
    facts = {"year": params.get("year", "")}
    return (
        _("Load the %(year)s national holidays") % facts,
        _(
            "Huifang has no adjusted workdays for %(year)s yet, so due dates in "
            "%(year)s ignore the weekends people work. When the State Council publishes "
            "its notice on the %(year)s holidays, paste it into the national holidays page."
        )
        % facts,
    )


def _policy_published(params: dict[str, Any]) -> tuple[str, str]:
    facts = {
        "version": params.get("version", ""),
        "date": formats.date_format(datetime.date.fromisoformat(params["effective_from"]))
        if params.get("effective_from")
        else "",
    }
    return (
        _("New follow-up policy: %(version)s") % facts,
        _(
            "Version %(version)s of the follow-up policy is in force from %(date)s. "
            "Please read it and acknowledge it."
        )
        % facts,
    )


def _policy_version_params(version: Any, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": str(version),
        "effective_from": version.effective_from.isoformat() if version.effective_from else "",
    }


_TEMPLATES.update(
    {
        Kind.VISIT_UPCOMING: (
            gettext_lazy("Visit due on %(due)s: %(project)s"),
            gettext_lazy("Your visit %(visit)s for %(project)s is due on %(due)s."),
        ),
        Kind.VISIT_DUE_TODAY: (
            gettext_lazy("Visit due today: %(project)s"),
            gettext_lazy("Your visit %(visit)s for %(project)s is due today (%(due)s)."),
        ),
        Kind.VISIT_OVERDUE: (
            gettext_lazy("Visit overdue: %(project)s"),
            gettext_lazy(
                "Your visit %(visit)s for %(project)s was due on %(due)s and is not done."
            ),
        ),
        Kind.VISIT_ESCALATED_PM: (
            gettext_lazy("Escalation: visit %(days)s days overdue on %(project)s"),
            gettext_lazy(
                "The visit %(visit)s for %(project)s (owner: %(owner)s) was due on %(due)s."
            ),
        ),
        Kind.VISIT_ESCALATED_QUALITY: (
            gettext_lazy("Escalation: visit %(days)s days overdue on %(project)s"),
            gettext_lazy(
                "The visit %(visit)s for %(project)s (owner: %(owner)s) was due on %(due)s."
            ),
        ),
        Kind.VISIT_MISSED: (
            gettext_lazy("Visit missed: %(project)s"),
            gettext_lazy(
                "The visit %(visit)s for %(project)s was due on %(due)s and is now marked missed."
            ),
        ),
        Kind.VISIT_WINDOW_OPEN: (
            gettext_lazy("Schedule the visit for %(project)s"),
            gettext_lazy(
                "The window for visit %(visit)s of %(project)s opened on %(window)s and it is "
                "not scheduled yet. It is due on %(due)s."
            ),
        ),
        Kind.ACTION_DUE_SOON: (
            gettext_lazy("Action due on %(due)s: %(project)s"),
            gettext_lazy("Your improvement action “%(action)s” for %(project)s is due on %(due)s."),
        ),
        Kind.ACTION_OVERDUE: (
            gettext_lazy("Action overdue: %(project)s"),
            gettext_lazy(
                "Your improvement action “%(action)s” for %(project)s was due on %(due)s."
            ),
        ),
        Kind.PROJECT_PAST_END: (
            gettext_lazy("Project %(project)s is past its planned end"),
            gettext_lazy(
                "Project %(project)s was planned to end on %(end)s but is not completed. "
                "Complete it or move its planned end."
            ),
        ),
    }
)

RENDERERS: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    **{kind: _visit(*_TEMPLATES[kind]) for kind in VISIT_KINDS},
    Kind.ACTION_DUE_SOON: _action(*_TEMPLATES[Kind.ACTION_DUE_SOON]),
    Kind.ACTION_OVERDUE: _action(*_TEMPLATES[Kind.ACTION_OVERDUE]),
    Kind.WEEKLY_DIGEST: _digest,
    Kind.PROJECT_PAST_END: _action(*_TEMPLATES[Kind.PROJECT_PAST_END]),
    Kind.SURVEY_DETRACTOR: _detractor,
    Kind.VISITS_MOVED_BY_CALENDAR: _moved_by_calendar,
    Kind.NATIONAL_CALENDAR_MISSING: _calendar_missing,
    Kind.POLICY_PUBLISHED: _policy_published,
}


PARAMS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    **dict.fromkeys(VISIT_KINDS, _visit_params),
    Kind.ACTION_DUE_SOON: _action_params,
    Kind.ACTION_OVERDUE: _action_params,
    Kind.WEEKLY_DIGEST: _plain_params,
    Kind.PROJECT_PAST_END: _project_params,
    Kind.SURVEY_DETRACTOR: _plain_params,
    Kind.VISITS_MOVED_BY_CALENDAR: _plain_params,
    Kind.NATIONAL_CALENDAR_MISSING: _plain_params,
    Kind.POLICY_PUBLISHED: _policy_version_params,
}


def _url(kind: str, subject: Any, context: dict[str, Any]) -> str:
    if kind in VISIT_KINDS:
        return _reverse("visits:detail", subject.pk)
    if kind in (Kind.ACTION_DUE_SOON, Kind.ACTION_OVERDUE):
        return _reverse("actions:detail", subject.pk)
    if kind == Kind.WEEKLY_DIGEST:
        return templating.url("home")
    if kind == Kind.PROJECT_PAST_END:
        return _reverse("projects:detail", subject.pk)
    if kind == Kind.VISITS_MOVED_BY_CALENDAR:
        return templating.url("calendar:month")
    if kind == Kind.NATIONAL_CALENDAR_MISSING:
        return templating.url("policy:national_days")
    if kind == Kind.POLICY_PUBLISHED:
        return templating.url("insights:acknowledge")
    return str(context.get("url", "")) or (
        subject.get_absolute_url() if hasattr(subject, "get_absolute_url") else ""
    )


def message_params(
    kind: str, subject: models.Model, context: dict[str, Any]
) -> dict[str, Any] | None:
    """The stable data a notification keeps to be worded later (names, dates, codes,
    counts), or None for a kind this module does not word (its text is kept)."""
    make = PARAMS.get(kind)
    return None if make is None else make(subject, context)


def render_message(kind: str, params: dict[str, Any]) -> tuple[str, str]:
    """Title and body in the active language."""
    return RENDERERS[kind](params)


def build_message(kind: str, subject: models.Model, context: dict[str, Any]) -> Message:
    params = message_params(kind, subject, context)
    if params is not None:
        title, body = render_message(kind, params)
        return Message(title, body, _url(kind, subject, context), params)
    # A kind this module does not know yet: the caller's own words, else the subject.
    return Message(
        str(context.get("title") or subject),
        str(context.get("body", "")),
        str(context.get("url", "")),
    )


# --- Reading old texts back: rows stored before notifications kept parameters --------

PARSE_LANGUAGES = ("zh-hans", "en")
DIGEST_FIGURES = ("upcoming", "overdue", "to_schedule", "open_actions", "overdue_actions")
_VISIT_LABEL = re.compile(r"^(?P<label>.+?)(?: #(?P<sequence>\d+))? · (?P<due>.+)$")
# How dates were written: ISO (Chinese, and every text from before dates followed the
# reader's language) and the English pages' "9 Mar 2026".
_DATE_FORMATS = ("%Y-%m-%d", "%d %b %Y")


def _iso(text: str) -> str | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def _dates_as_iso(values: dict[str, Any]) -> dict[str, Any] | None:
    """The date parameters back in ISO (the form parameters keep); None if one is not
    a date at all."""
    for name in ("due", "window", "end"):
        if name in values:
            iso = _iso(str(values[name]))
            if iso is None:
                return None
            values[name] = iso
    return values


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching what ``template % params`` produced, with a
    named group per placeholder (a repeated one must repeat its value)."""
    seen: set[str] = set()
    parts: list[str] = []
    position = 0
    for match in re.finditer(r"%\((\w+)\)([sd])", template):
        parts.append(re.escape(template[position : match.start()]))
        name, conversion = match.groups()
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>-?\\d+)" if conversion == "d" else f"(?P<{name}>.+?)")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts), re.DOTALL)


def _match(template: Promise | str, text: str) -> dict[str, str] | None:
    found = _pattern(str(template)).fullmatch(text)
    return None if found is None else found.groupdict()


def _parse_visit(values: dict[str, str]) -> dict[str, Any] | None:
    named = _VISIT_LABEL.fullmatch(values.pop("visit", ""))
    if named is None:
        return None
    phases = {str(label): value for value, label in PhaseChoices.choices}
    phase = phases.get(named["label"])
    if phase is None:
        return None
    # Names used to number ongoing visits only: an ongoing visit without a number was
    # an ad-hoc one (no sequence); another phase's number is never shown.
    if named["sequence"]:
        sequence: int | None = int(named["sequence"])
    else:
        sequence = None if phase == PhaseChoices.ONGOING else 1
    params: dict[str, Any] = {**values, "phase": phase, "sequence": sequence}
    due = _iso(named["due"])
    if due is None:
        return None
    params["due"] = due
    if "days" in params:
        params["days"] = int(params["days"])
    return params


def _parse_in_language(kind: str, title: str, body: str) -> dict[str, Any] | None:
    if kind == Kind.WEEKLY_DIGEST:
        heading = _match(gettext_lazy("Weekly digest for week %(week)s"), title)
        lines = body.split("\n")
        if heading is None or len(lines) != len(DIGEST_FIGURES):
            return None
        digest: dict[str, Any] = dict(heading)
        samples = _digest({})[1].split("\n")  # the lines with 0, to learn their words
        for name, line, sample in zip(DIGEST_FIGURES, lines, samples, strict=True):
            prefix = sample[: -len("0")]
            if not line.startswith(prefix) or not line[len(prefix) :].isdigit():
                return None
            digest[name] = int(line[len(prefix) :])
        return digest
    if kind == Kind.SURVEY_DETRACTOR:
        first, _newline, comment = body.partition("\n")
        facts = _match(gettext_lazy("%(customer)s rated %(project)s %(score)s."), first)
        head = _match(gettext_lazy("Unhappy customer on %(project)s"), title)
        if facts is None or head is None or head["project"] != facts["project"]:
            return None
        return {**facts, "comment": comment} if comment else facts
    wording = _TEMPLATES.get(kind)
    if wording is None:
        return None
    values: dict[str, str] = {}
    for template, text in zip(wording, (title, body), strict=True):
        found = _match(template, text)
        if found is None or any(values.get(k, v) != v for k, v in found.items()):
            return None
        values.update(found)
    if kind in VISIT_KINDS:
        parsed = _parse_visit(values)
        return None if parsed is None else _dates_as_iso(parsed)
    return _dates_as_iso(values)


def parse_params(kind: str, title: str, body: str) -> dict[str, Any] | None:
    """The parameters an old notification's text was made from, read back from its
    Chinese or English wording; None when the text fits no wording (it is kept)."""
    for language in PARSE_LANGUAGES:
        with translation.override(language):
            params = _parse_in_language(kind, title, body)
        if params is not None:
            return params
    return None
