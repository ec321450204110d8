"""Bad input: every form of the web pages, fuzzed with hypothesis.

Each POST-able page of the URL configuration (the access matrix's ``RULES``; the JSON
API has its schema-driven fuzzing in tests/api/test_schemathesis.py, the admin site is
Django's) is opened as the person allowed to use it; its form is read from the page
the way a browser reads it (fields, current values, options, buttons), and hypothesis
then submits it with some fields replaced by hostile values: arbitrary unicode with
NUL characters, 100,000-character strings, numbers out of range, impossible dates,
negative ids and ids of rows the user may not see, lists for single fields, missing
fields, SQL and HTML payloads, junk files.

Whatever arrives, the answer is never a server error; a refusal (200, 400 or 409)
shows every error of the form on the page and writes nothing, and so does a 403 or
404. Writes are detected with a fingerprint of every row of every table of our apps,
taken inside each example. A POST-able URL without an entry in ``FUZZ`` fails
``test_every_post_url_is_fuzzed``, so a new form cannot ship unfuzzed.

The hostile values go into a valid submission (the page's values, its required fields
filled in), which ``test_filled_in_form_is_accepted`` checks is accepted: so they get
past the other fields' checks to the code that writes. Spreadsheet imports get their
own run (preview, then import: all rows or none). The bugs the fuzzing found have
their own tests at the end.

Every example runs in a savepoint of the access matrix's world (tests/world.py) that
is rolled back afterwards, so each one meets the same world; the examples are
derandomized, so every run (and CI) tries the same inputs. This module is the table
and the tests; the harness (reading forms, hostile values, fingerprints, verdicts) is
tests/fuzzing.py.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from huifang.customers.models import Contact
from huifang.insights.services import add_review_action
from huifang.policy.models import Policy
from huifang.policy.services import ensure_default_policy
from huifang.projects.services import put_project_on_hold
from huifang.surveys.models import SurveyInvitation
from huifang.transfer.importers import COLUMNS
from tests.access_rules import EXPECTED, MOVED, OK, RULES, url_names
from tests.factories import ContactFactory
from tests.fuzzing import (
    GOOD_ROW,
    JUNK_NAMES,
    MISSING,
    SCALE,
    Fuzz,
    Kwargs,
    Upload,
    as_csv,
    as_posted,
    baseline,
    client_for,
    find_target,
    fingerprint,
    form_errors,
    hostile_rows,
    hostile_text,
    post_in_savepoint,
    shortened,
    shown,
    submissions,
    verdict,
)
from tests.world import PNG, World
from tests.world import world as world  # the module-scoped world fixture

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # every user's, from tests/factories.py

# The day the world's plans were made; every request is answered on it.
TODAY = datetime.date(2026, 4, 20)
NOW = datetime.datetime(2026, 4, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

# --- The forms --------------------------------------------------------------------------


def _pk(attr: str) -> Kwargs:
    return lambda w: {"pk": getattr(w, attr).pk}


def _no_kwargs(w: World) -> dict[str, Any]:
    return {}


def _open_invitation(w: World) -> dict[str, Any]:
    """The world's own invitation is answered; the one of ``survey_url`` is open."""
    return {"pk": SurveyInvitation.objects.get(visit=w.visit).pk}


def _open_action(w: World) -> dict[str, Any]:
    """The world's action is done; the form belongs to an open one."""
    action = add_review_action(
        review=w.review,
        project=w.project,
        description="Call the customer back",
        owner=w.users["colleague"],
        due_date=TODAY + datetime.timedelta(days=14),
        created_by=w.users["quality"],
    )
    return {"pk": action.pk}


def _project_on_hold(w: World) -> dict[str, Any]:
    """The world's project is active; "Resume" is offered once it is on hold."""
    put_project_on_hold(project=w.project, reason="Customer audit")
    return {"pk": w.project.pk}


def _default_policy(kwargs: Kwargs) -> Kwargs:
    """The world's policies are not the default one, which suggestions, acknowledgements
    and proposed revisions are about: install it first."""

    def with_default(w: World) -> dict[str, Any]:
        ensure_default_policy()
        return kwargs(w)

    return with_default


_NEW = "Contact not yet invited"


def _new_contact(w: World) -> dict[str, Any]:
    """The world's contact is invited to both visits' surveys already: add one."""
    ContactFactory.create(customer=w.project.customer, name=_NEW)
    return {"visit_pk": w.recorded_visit.pk}


def _team_work(w: World) -> dict[str, Any]:
    """An action item for the world's project, given to someone on its team."""
    return {"project": str(w.project.pk), "owner": str(w.users["colleague"].pk)}


def _policy_without_draft(client: Client, w: World) -> Any:
    """The page of the second policy: the first has a draft, so it offers no form."""
    return client.get(reverse("policy:current"), {"policy": w.other[Policy].pk})


GOOD_CSV = b"name,industry\nImported customer,Retail\n"


def _previewed(client: Client, w: World) -> Any:
    """The preview of a good file, which offers to import it."""
    upload = SimpleUploadedFile("customers.csv", GOOD_CSV, content_type="text/csv")
    return client.post(reverse("transfer:preview"), {"kind": "customers", "file": upload})


_PROJECT_EDIT = Fuzz(page="projects:edit")
_REVIEW = Fuzz(page="insights:review")
_INVITE = Fuzz(
    page="surveys:invite", page_kwargs=lambda w: {"visit_pk": w.visit.pk}, kwargs=_open_invitation
)
_BUTTON = 5  # a button without fields: a few forged submissions suffice
_NO_FORM = Fuzz(form=False, examples=_BUTTON)
_SIGN_ON = Fuzz(role="anonymous", form=False, examples=_BUTTON)

FUZZ: dict[str, Fuzz] = {
    "login": Fuzz(role="anonymous", fill=lambda w: {"username": "member1", "password": PASSWORD}),
    "logout": Fuzz(page="home", role="colleague", examples=_BUTTON),
    # No password sign-in waits for a code in the world: back to the login page.
    "login_code": Fuzz(role="anonymous", form=False, examples=_BUTTON),
    # The set-up form's code is the one an app computes from the session's secret.
    "accounts:two_factor": Fuzz(role="quality", form=False),
    # No identity provider is configured in the world: 404.
    "openid_connect_login": _SIGN_ON,
    "openid_connect_callback": _SIGN_ON,
    "dingtalk_login": _SIGN_ON,
    "dingtalk_callback": _SIGN_ON,
    "feishu_login": _SIGN_ON,
    "feishu_callback": _SIGN_ON,
    "set_language": Fuzz(page="home"),
    "projects:create": Fuzz(),
    "projects:edit": Fuzz(),
    "projects:hold": _PROJECT_EDIT,
    "projects:resume": replace(_PROJECT_EDIT, kwargs=_project_on_hold, examples=_BUTTON),
    "projects:complete": _PROJECT_EDIT,
    "projects:cancel": replace(_PROJECT_EDIT, examples=_BUTTON),
    "customers:create": Fuzz(),
    "customers:edit": Fuzz(),
    # The world's visit is not open yet: its record form is behind "record now".
    "visits:record": Fuzz(
        opened_by=lambda client, w: client.get(
            reverse("visits:record", args=[w.visit.pk]), {"early": "1"}
        )
    ),
    "visits:amend": Fuzz(fill=lambda w: {"summary": "Corrected by the fuzzer"}),
    "visits:schedule": Fuzz(),
    "visits:cancel": Fuzz(),
    "visits:reassign": Fuzz(),
    "visits:upload": Fuzz(page="visits:detail", fill=lambda w: {"file": Upload("scan.png", PNG)}),
    "visits:adhoc": Fuzz(),
    # The world's attachment belongs to a submitted record: no delete button.
    "visits:attachment_delete": _NO_FORM,
    "actions:update": Fuzz(page="actions:detail", kwargs=_open_action),
    "actions:done": Fuzz(page="actions:detail", kwargs=_open_action),
    "calendar:feed_settings": Fuzz(shows="calendar/feed_settings.html"),
    "policy:new_draft": Fuzz(opened_by=_policy_without_draft),
    "policy:edit_draft": Fuzz(),
    "policy:publish": Fuzz(),
    "policy:company_days": Fuzz(),
    # The notice form (the page's first); the .ics form is fuzzed in its own tests.
    "policy:national_days": Fuzz(
        fill=lambda w: {
            "year": "2026",
            "text": (Path(__file__).parent / "core" / "notices" / "2026.txt").read_text(),
            "operation": "save",
        }
    ),
    "policy:company_day_remove": Fuzz(
        page="policy:company_days", page_kwargs=_no_kwargs, examples=_BUTTON
    ),
    "accounts:user_create": Fuzz(fill=lambda w: {"username": "fuzz1"}),
    "accounts:user_edit": Fuzz(),
    "accounts:user_deactivate": Fuzz(page="accounts:user_edit", examples=_BUTTON),
    "accounts:profile": Fuzz(),
    "accounts:password_change": Fuzz(
        fill=lambda w: {
            "old_password": PASSWORD,
            "new_password1": "Fuzz-horse-battery-9",
            "new_password2": "Fuzz-horse-battery-9",
        }
    ),
    "notify:list": _NO_FORM,
    "notify:open": _NO_FORM,
    "notify:mark_read": Fuzz(page="notify:list", page_kwargs=_no_kwargs, examples=_BUTTON),
    "notify:mark_all_read": Fuzz(page="notify:list", examples=_BUTTON),
    "notify:preferences": Fuzz(),
    "notify:webhooks": _NO_FORM,
    "notify:webhook_create": Fuzz(),
    "notify:webhook_edit": Fuzz(),
    "notify:webhook_test": Fuzz(page="notify:webhooks", page_kwargs=_no_kwargs, examples=_BUTTON),
    "notify:failures": _NO_FORM,
    "notify:delivery_retry": Fuzz(page="notify:failures", page_kwargs=_no_kwargs, examples=_BUTTON),
    "surveys:answer": Fuzz(
        url=lambda w: w.survey_url, role="anonymous", shows="surveys/public/thanks.html"
    ),
    "surveys:tracking": _NO_FORM,
    "surveys:project_tracking": _NO_FORM,
    "surveys:invite": Fuzz(
        kwargs=_new_contact,
        shows="surveys/links.html",
        fill=lambda w: {"contacts": [str(Contact.objects.get(name=_NEW).pk)]},
    ),
    "surveys:resend": replace(_INVITE, shows="surveys/links.html", examples=_BUTTON),
    "surveys:new_link": replace(_INVITE, shows="surveys/links.html", examples=_BUTTON),
    "surveys:revoke": replace(_INVITE, examples=_BUTTON),
    "surveys:questionnaires": _NO_FORM,
    "surveys:questionnaire_detail": _NO_FORM,
    "surveys:questionnaire_edit": Fuzz(),
    "insights:review_create": Fuzz(),
    "insights:review": Fuzz(),
    "insights:review_action": replace(_REVIEW, fill=_team_work),
    "insights:review_revision": replace(_REVIEW, kwargs=_default_policy(_pk("review"))),
    "insights:meeting_create": Fuzz(),
    "insights:meeting": Fuzz(fill=_team_work),
    "insights:acknowledge": Fuzz(kwargs=_default_policy(_no_kwargs), examples=_BUTTON),
    "insights:trainings": Fuzz(),
    "insights:training": Fuzz(),
    "insights:suggestions": Fuzz(kwargs=_default_policy(_no_kwargs)),
    "insights:suggestion_answer": Fuzz(),
    "api:tokens": Fuzz(shows="api/token_list.html"),
    "api:token_revoke": Fuzz(page="api:tokens", page_kwargs=_no_kwargs, examples=_BUTTON),
    "transfer:preview": Fuzz(
        page="transfer:index",
        writes=False,
        fill=lambda w: {"file": Upload("customers.csv", GOOD_CSV)},
    ),
    "transfer:confirm": Fuzz(opened_by=_previewed, shows="transfer/preview.html"),
}

POSTERS = ("colleague", "owner", "quality", "admin", "anonymous")


def post_urls() -> list[str]:
    """Every URL name of the pages (not the API, not the admin) that answers POST."""
    return sorted(name for name in url_names() if "POST" in RULES[name].methods)


def poster(name: str) -> str:
    """Who fills the form in: the first of POSTERS the access rule lets post."""
    if FUZZ[name].role:
        return FUZZ[name].role
    rule = RULES[name]
    outcomes = EXPECTED[rule.post or rule.rule]
    for wanted in (OK, MOVED):
        for role in POSTERS:
            if outcomes[role] == wanted:
                return role
    raise AssertionError(f"nobody may post {name}")


# --- The tests --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fuzzing_ground(settings: Any, tmp_path: Path, time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path / "data"
    # One address posts every example; the survey page's rate limit would answer 429.
    settings.HUIFANG_SURVEY_RATE_LIMIT = 1_000_000


def test_every_post_url_is_fuzzed() -> None:
    assert sorted(set(post_urls()) - set(FUZZ)) == []
    assert sorted(set(FUZZ) - set(post_urls())) == []


def _fill(world: World, name: str) -> dict[str, Any]:
    spec = FUZZ[name]
    return spec.fill(world) if spec.fill else {}


FORMS = sorted(name for name, spec in FUZZ.items() if spec.form)


@pytest.mark.parametrize("name", FORMS)
def test_filled_in_form_is_accepted(world: World, name: str) -> None:
    """The submission the hostile values are put into is valid, so they reach the code
    behind the form's other checks (and the fuzzing below is not vacuous)."""
    role = poster(name)
    target = find_target(client_for(world, role), world, name, FUZZ[name])
    assert target.form is not None
    response, changed = post_in_savepoint(
        client_for(world, role), target.url, baseline(target.form, _fill(world, name))
    )
    with translation.override("en"):
        errors = form_errors(response)
    assert (response.status_code in (200, 302), errors) == (True, [])
    assert changed == [] or FUZZ[name].writes


@pytest.mark.parametrize("name", sorted(FUZZ))
def test_form_refuses_hostile_input_clearly_and_writes_nothing(world: World, name: str) -> None:
    spec = FUZZ[name]
    role = poster(name)
    signed_in = client_for(world, role)
    target = find_target(signed_in, world, name, FUZZ[name])
    if target.form is not None:
        strategy = submissions(target.form, world, _fill(world, name))
    else:
        strategy = st.dictionaries(st.sampled_from(JUNK_NAMES), hostile_text, max_size=3)

    @hypothesis_settings(
        max_examples=spec.examples * SCALE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=strategy)
    def post(data: dict[str, Any]) -> None:
        # Anonymous forms (login) get a new browser each time: a login that succeeds
        # would make every later one a redirect.
        client = client_for(world, role) if role == "anonymous" else signed_in
        response, changed = post_in_savepoint(client, target.url, data)
        problem = verdict(spec, response, changed)
        assert problem == "", f"POST {target.url}: {problem}\n{shortened(data)}"

    post()


def test_import_of_hostile_rows_writes_all_or_nothing(world: World) -> None:
    """Spreadsheet rows with hostile cells, previewed and then imported: the preview
    writes nothing, and the import writes every row or, refused, none."""
    client = client_for(world, poster("transfer:preview"))

    @hypothesis_settings(
        max_examples=25 * SCALE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(kind=st.sampled_from(sorted(COLUMNS)), rows=hostile_rows())
    def upload(kind: str, rows: list[dict[str, str]]) -> None:
        upload = Upload("import.csv", as_csv(rows))
        with transaction.atomic():
            before = fingerprint()
            preview = client.post(
                reverse("transfer:preview"), as_posted({"kind": kind, "file": upload})
            )
            assert preview.status_code in (200, 400)
            assert fingerprint() == before, "the preview wrote"
            upload_id = preview.context.get("upload_id", "")
            if upload_id:
                confirm = client.post(reverse("transfer:confirm"), {"upload_id": upload_id})
                report = confirm.context["report"]
                changed = fingerprint() != before
                assert (confirm.status_code, changed) == (200, bool(report and report.applied))
            transaction.set_rollback(True)

    upload()


# --- What the fuzzing found -------------------------------------------------------------

REFUSED_HIDDEN = "The page sent a value this form does not accept: reload the page and try again."


def _submit(world: World, name: str, **changes: Any) -> tuple[Any, list[str]]:
    """Post the filled-in form of ``name`` with ``changes`` (MISSING drops a field)."""
    role = poster(name)
    target = find_target(client_for(world, role), world, name, FUZZ[name])
    assert target.form is not None
    data = baseline(target.form, {**_fill(world, name), **changes})
    return post_in_savepoint(client_for(world, role), target.url, data)


def _shows(response: Any, text: str) -> bool:
    return shown(text, response.content.decode())


def test_record_form_says_so_when_a_measure_row_id_is_not_a_number(world: World) -> None:
    response, changed = _submit(world, "visits:record", **{"actions-0-id": "x"})
    assert (response.status_code, changed) == (200, [])
    assert _shows(response, f"{REFUSED_HIDDEN} (Enter a whole number.)")


def test_record_form_shows_a_tampered_measures_formset(world: World) -> None:
    response, changed = _submit(world, "visits:record", **{"actions-INITIAL_FORMS": MISSING})
    assert (response.status_code, changed) == (200, [])
    assert _shows(response, "ManagementForm data is missing or has been tampered with.")


def test_customer_form_says_so_when_a_contact_row_id_is_unknown(world: World) -> None:
    response, changed = _submit(world, "customers:create", **{"contacts-0-id": "0"})
    assert (response.status_code, changed) == (200, [])
    assert _shows(
        response,
        f"{REFUSED_HIDDEN} (Select a valid choice. That choice is not one of the available "
        "choices.)",
    )


def test_policy_draft_shows_an_unknown_checklist_phase(world: World) -> None:
    response, changed = _submit(
        world,
        "policy:edit_draft",
        **{"checklist-4-phase": "0", "checklist-4-label_zh": "新", "checklist-4-label_en": "New"},
    )
    assert (response.status_code, changed) == (200, [])
    assert _shows(response, "Select a valid choice. 0 is not one of the available choices.")


def test_policy_draft_says_so_when_the_ongoing_rules_hidden_anchor_is_unknown(
    world: World,
) -> None:
    response, changed = _submit(world, "policy:edit_draft", **{"rule-ongoing-anchor": "0"})
    assert (response.status_code, changed) == (200, [])
    assert _shows(response, f"{REFUSED_HIDDEN} (Select a valid choice. 0 is not one of")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_scheduling_a_visit_at_the_end_of_the_calendar_is_refused_at_the_field(
    world: World, moment: str
) -> None:
    response, changed = _submit(world, "visits:schedule", scheduled_at=moment)
    assert (response.status_code, changed) == (200, [])
    assert response.context["form"].errors["scheduled_at"] == [
        "Enter a date between 1900-01-01 and 2999-12-31."
    ]
    assert _shows(response, "Enter a date between 1900-01-01 and 2999-12-31.")


def test_login_with_an_overlong_username_is_an_ordinary_failed_login(world: World) -> None:
    from axes.models import AccessAttempt

    response, changed = _submit(world, "login", username="x" * 300)
    assert (response.status_code, changed) == (200, [])
    assert _shows(response, "Please enter a correct username and password.")
    # Posted again outside a rolled-back savepoint: the attempt counts under the cut name.
    client_for(world, "anonymous").post(
        reverse("login"), {"username": "x" * 300, "password": PASSWORD}
    )
    assert list(
        AccessAttempt.objects.filter(username__startswith="xxx").values_list("username", flat=True)
    ) == ["x" * 255]


def test_meeting_with_an_attendee_id_beyond_64_bits_is_refused(world: World) -> None:
    huge = "9" * 20
    response, changed = _submit(world, "insights:meeting_create", attendees=[huge])
    assert (response.status_code, changed) == (200, [])
    assert response.context["form"].errors["attendees"] == [f"“{huge}” is not a valid value."]


@pytest.mark.parametrize(
    ("column", "day"), [("planned_end", "9999-12-31"), ("planned_start", "0001-01-01")]
)
def test_import_of_a_project_at_the_end_of_the_calendar_is_refused_in_its_row(
    world: World, column: str, day: str
) -> None:
    """Planning up to 9999-12-31 overflowed (a server error); from year 1 it planned
    two thousand years of visits."""
    rows = [{**GOOD_ROW, column: day}]
    response, changed = post_in_savepoint(
        client_for(world, "owner"),
        reverse("transfer:preview"),
        {"kind": "projects", "file": Upload("projects.csv", as_csv(rows))},
    )
    assert (response.status_code, changed) == (200, [])
    assert [row.errors for row in response.context["report"].rows] == [
        [f"{column}: enter a date between 1900-01-01 and 2999-12-31."]
    ]
