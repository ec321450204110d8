"""The Django admin: every model is there, every page opens, lists do not run a query
per row, published policy versions cannot be changed, and saves go through the
services so the visit plan follows."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.models import HistoricalChanges

from huifang.actions.models import ImprovementAction
from huifang.core.models import CalendarFeed, Role, User
from huifang.customers.models import Contact, Customer
from huifang.policy.models import CompanyDay, Policy, PolicyVersion
from huifang.policy.services import create_policy_draft
from huifang.projects.models import Membership, Project
from huifang.projects.services import create_project
from huifang.visits.models import Attachment, Visit, VisitRecord
from huifang.visits.planning import plan_project_visits
from tests.factories import ContactFactory, UserFactory
from tests.world import PLAN_DAY, PNG, build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The apps whose admin this file tests in depth; their every model has a sample.
OWN_APPS = {"auth", "core", "customers", "policy", "projects", "visits", "actions"}
# Rows that only their own workflow adds (records, history, a version's parts, team
# members): the admin shows them but has no add page.
ADDED_ELSEWHERE = {
    "actions.ActionVerification",
    "core.CalendarFeed",
    "policy.ChecklistItem",
    "policy.NationalYear",
    "policy.VisitRule",
    "projects.Membership",
    "visits.RecordAmendment",
    "visits.VisitRecord",
}

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
OWN_MODELS = [model for model in REGISTERED if model._meta.app_label in OWN_APPS]


def _label(model: type[Model]) -> str:
    return model._meta.label


def _url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _travel_to(time_machine: Any, day: datetime.date) -> None:
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(9), SHANGHAI), tick=False)


def plan_of(project: Project) -> list[tuple[Any, ...]]:
    return list(
        project.visits.order_by("due_date", "phase", "sequence").values_list(
            "phase", "sequence", "window_start", "due_date", "status"
        )
    )


class _FormReader(HTMLParser):
    """What a browser would submit for the admin's change form, as a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._select: str | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form" and attr.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text")
            if kind in {"submit", "button", "image", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attr:
                return
            self.data.setdefault(name, []).append(
                attr.get("value", "on" if "checked" in attr else "")
            )
        elif tag == "select" and name:
            self._select, self._select_options = name, []
        elif tag == "option" and self._select is not None:
            self._select_options.append((attr.get("value", ""), "selected" in attr))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._select_options if selected]
            self.data[self._select] = chosen
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline Django writes right after <textarea>.
            self.data[self._textarea][-1] = self.data[self._textarea][-1].removeprefix("\n")
            self._textarea = None


def form_data(client: Client, url: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    reader = _FormReader()
    reader.feed(response.content.decode())
    return reader.data


@pytest.fixture(autouse=True)
def fast_password_hashing_and_own_media(settings: Any, tmp_path: Any) -> None:
    # Every sample world makes users; the production hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff_client(client: Client, admin_user: User) -> Client:
    # English messages, whatever catalogues are installed.
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)
    return client


@pytest.fixture
def world(db: None, time_machine: Any) -> dict[type[Model], Model]:
    # Built on the day it was last planned, so "today" agrees with its history.
    _travel_to(time_machine, PLAN_DAY)
    return build_world(1)


def messages_of(response: Any) -> list[str]:
    return [str(message.message) for message in get_messages(response.wsgi_request)]


# --- Every model, every page -------------------------------------------------------------


def test_every_huifang_model_is_registered_in_admin() -> None:
    missing = [
        _label(model)
        for config in apps.get_app_configs()
        if config.name.startswith("huifang.")
        for model in config.get_models()
        # Audit history tables (django-simple-history) are shown on the objects' own
        # pages, not as admin models of their own.
        if not issubclass(model, HistoricalChanges)
        # The data and month versions and the rate-limit counts are counters kept by SQL
        # alone (core/dataversion.py, core/monthversions.py, core/ratelimit.py).
        if model._meta.label_lower
        not in {"core.dataversion", "core.monthversion", "core.ratecount"}
        if not admin.site.is_registered(model)
    ]
    assert missing == []


def test_sample_world_has_an_object_of_every_model_of_these_apps(world: dict) -> None:
    assert [_label(model) for model in OWN_MODELS if model not in world] == []


def test_models_without_an_add_page_are_the_ones_added_by_their_workflow(
    rf: Any, admin_user: User
) -> None:
    request = rf.get("/")
    request.user = admin_user

    without_add = {
        _label(model)
        for model in OWN_MODELS
        if not admin.site._registry[model].has_add_permission(request)
    }

    assert without_add == ADDED_ELSEWHERE


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_admin_changelist_opens_and_lists_every_row(
    staff_client: Client, world: dict, model: type[Model]
) -> None:
    response = staff_client.get(_url(model, "changelist"))
    searched = staff_client.get(_url(model, "changelist"), {"q": "1"})

    assert (response.status_code, searched.status_code) == (200, 200)
    assert response.context["cl"].result_count == model._default_manager.count()


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_admin_add_page_opens_where_the_admin_adds(
    staff_client: Client, world: dict, model: type[Model]
) -> None:
    response = staff_client.get(_url(model, "add"))

    adds = admin.site._registry[model].has_add_permission(response.wsgi_request)
    assert response.status_code == (200 if adds else 403)


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_admin_change_page_opens(staff_client: Client, world: dict, model: type[Model]) -> None:
    sample = world.get(model) or model._default_manager.order_by("pk").first()
    if sample is None:
        pytest.skip(f"no {_label(model)} to open: add one to build_world()")

    response = staff_client.get(_url(model, "change", sample.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("model", OWN_MODELS, ids=_label)
def test_admin_changelist_query_count_does_not_grow_with_rows(
    staff_client: Client, world: dict, model: type[Model]
) -> None:
    url = _url(model, "changelist")
    staff_client.get(url)  # warm per-process caches (content types, site)
    with CaptureQueriesContext(connection) as with_one:
        one = staff_client.get(url)
    build_world(2)
    build_world(3)
    with CaptureQueriesContext(connection) as with_three:
        three = staff_client.get(url)

    assert three.context["cl"].result_count > one.context["cl"].result_count
    assert len(with_three.captured_queries) == len(with_one.captured_queries), "\n".join(
        query["sql"] for query in with_three.captured_queries
    )


# --- Policy versions ----------------------------------------------------------------------


def test_published_policy_version_page_has_no_save_button(
    staff_client: Client, world: dict
) -> None:
    version = world[PolicyVersion]

    html = staff_client.get(_url(PolicyVersion, "change", version.pk)).content.decode()

    assert ('name="_save"' in html, 'name="rules-0-window_days"' in html) == (False, False)


def test_published_policy_version_post_is_refused(staff_client: Client, world: dict) -> None:
    version = world[PolicyVersion]

    response = staff_client.post(
        _url(PolicyVersion, "change", version.pk), {"reminder_lead_days": "9"}
    )

    version.refresh_from_db()
    assert (response.status_code, version.reminder_lead_days) == (403, 3)


def test_published_policy_version_cannot_be_deleted(staff_client: Client, world: dict) -> None:
    response = staff_client.get(_url(PolicyVersion, "delete", world[PolicyVersion].pk))

    assert response.status_code == 403


def test_policy_version_added_in_admin_is_a_draft_with_default_rules(
    staff_client: Client, world: dict
) -> None:
    policy = world[Policy]

    response = staff_client.post(
        _url(PolicyVersion, "add"), {"policy": policy.pk, "change_note": "Biweekly visits"}
    )

    draft = policy.versions.get(number=2)
    assert response.status_code == 302
    assert (
        draft.status,
        draft.change_note,
        draft.rules.count(),
        draft.checklist_items.count(),
    ) == (
        "draft",
        "Biweekly visits",
        3,
        4,
    )


def test_draft_policy_version_settings_and_rules_are_saved(
    staff_client: Client, world: dict
) -> None:
    draft = create_policy_draft(policy=world[Policy], based_on=world[PolicyVersion])
    url = _url(PolicyVersion, "change", draft.pk)
    data = form_data(staff_client, url)
    kickoff = next(
        key.removesuffix("-phase")
        for key, value in data.items()
        if key.startswith("rules-") and key.endswith("-phase") and value == ["kickoff"]
    )
    data["reminder_lead_days"] = ["5"]
    data[f"{kickoff}-window_days"] = ["10"]

    response = staff_client.post(url, data)

    draft.refresh_from_db()
    assert response.status_code == 302
    assert (draft.reminder_lead_days, draft.rules.get(phase="kickoff").window_days) == (5, 10)


def test_publish_action_publishes_draft_today_and_replans_projects(
    staff_client: Client, world: dict, admin_user: User, time_machine: Any
) -> None:
    _travel_to(time_machine, PLAN_DAY)
    draft = create_policy_draft(policy=world[Policy], based_on=world[PolicyVersion])

    response = staff_client.post(
        _url(PolicyVersion, "changelist"), {"action": "publish", "_selected_action": [draft.pk]}
    )

    draft.refresh_from_db()
    open_versions = set(
        world[Project]
        .visits.filter(status="planned", record__isnull=True)
        .values_list("policy_version", flat=True)
    )
    assert (draft.status, draft.effective_from, draft.published_by) == (
        "published",
        PLAN_DAY,
        admin_user,
    )
    assert open_versions == {draft.pk}
    # The draft changes nothing that dates depend on: the planned visits follow the
    # new version (above) with their dates, so none counts as moved.
    assert messages_of(response) == [
        "Policy 1 v2 published; visits created: 0, moved: 0, removed: 0, cancelled: 0."
    ]


def test_publish_action_on_published_version_shows_the_reason(
    staff_client: Client, world: dict
) -> None:
    version = world[PolicyVersion]

    response = staff_client.post(
        _url(PolicyVersion, "changelist"), {"action": "publish", "_selected_action": [version.pk]}
    )

    assert messages_of(response) == [
        "Policy 1 v1: This policy version is already published and cannot change."
    ]


# --- Projects -----------------------------------------------------------------------------


def test_replan_action_restores_a_lost_planned_visit(
    staff_client: Client, world: dict, time_machine: Any
) -> None:
    _travel_to(time_machine, PLAN_DAY)
    project = world[Project]
    planned = plan_of(project)
    project.visits.filter(status="planned", record__isnull=True).order_by("-due_date")[0].delete()

    response = staff_client.post(
        _url(Project, "changelist"), {"action": "replan_visits", "_selected_action": [project.pk]}
    )

    assert plan_of(project) == planned
    assert messages_of(response) == [
        "1 project re-planned; visits created: 1, moved: 0, removed: 0, cancelled: 0."
    ]


def test_project_added_in_admin_has_its_visits_planned(
    staff_client: Client, world: dict, time_machine: Any
) -> None:
    _travel_to(time_machine, PLAN_DAY)
    reference = world[Project]
    data = form_data(staff_client, _url(Project, "add"))
    data.update(
        code=["P-100"],
        name=["Warehouse system"],
        customer=[str(reference.customer_id)],
        manager=[str(reference.manager_id)],
        status=["active"],
        cadence=["biweekly"],
        policy=[str(reference.policy_id)],
        planned_start=["2026-05-04"],
        planned_end=["2026-09-30"],
    )

    response = staff_client.post(_url(Project, "add"), data)

    added = Project.objects.get(code="P-100")
    expected, _ = create_project(
        code="P-101",
        name="Same plan through the service",
        customer=reference.customer,
        manager=reference.manager,
        status="active",
        cadence="biweekly",
        policy=reference.policy,
        planned_start=datetime.date(2026, 5, 4),
        planned_end=datetime.date(2026, 9, 30),
    )
    assert response.status_code == 302
    assert plan_of(added) == plan_of(expected)
    assert len(plan_of(added)) == 11


def test_project_added_in_admin_with_dates_centuries_away_is_refused(
    staff_client: Client, world: dict, time_machine: Any
) -> None:
    """Issue 16: the admin sets dates through the same service, with its limits."""
    _travel_to(time_machine, PLAN_DAY)
    reference = world[Project]
    data = form_data(staff_client, _url(Project, "add"))
    data.update(
        code=["P-FAR"],
        name=["Far away"],
        customer=[str(reference.customer_id)],
        manager=[str(reference.manager_id)],
        status=["active"],
        cadence=["biweekly"],
        policy=[str(reference.policy_id)],
        planned_start=["2460-09-11"],
        planned_end=["2470-05-19"],
    )

    response = staff_client.post(_url(Project, "add"), data)

    assert response.status_code == 200
    assert "planned_start: Enter a date between" in response.content.decode()
    assert not Project.objects.filter(code="P-FAR").exists()


def test_project_cadence_changed_in_admin_replans_its_visits(
    staff_client: Client, world: dict, time_machine: Any
) -> None:
    _travel_to(time_machine, PLAN_DAY)
    project = world[Project]
    url = _url(Project, "change", project.pk)
    data = form_data(staff_client, url)
    data["cadence"] = ["biweekly"]

    response = staff_client.post(url, data)

    project.refresh_from_db()
    assert response.status_code == 302
    assert project.cadence == "biweekly"
    # The stored plan is exactly what planning the changed project gives.
    assert plan_project_visits(project=project).changed is False
    assert messages_of(response)[0].startswith("Visit plan updated: visits created: ")


def test_hold_added_in_project_admin_replans_its_visits(
    staff_client: Client, world: dict, time_machine: Any
) -> None:
    _travel_to(time_machine, PLAN_DAY)
    project = world[Project]
    before = plan_of(project)
    url = _url(Project, "change", project.pk)
    data = form_data(staff_client, url)
    data.update(
        {
            "holds-TOTAL_FORMS": ["2"],
            "holds-1-project": [str(project.pk)],
            "holds-1-id": [""],
            "holds-1-started_on": ["2026-06-01"],
            "holds-1-ended_on": ["2026-07-20"],
            "holds-1-reason": ["Customer moves offices"],
        }
    )

    response = staff_client.post(url, data)

    after = plan_of(project)
    assert response.status_code == 302
    assert project.holds.count() == 2
    assert after != before
    assert plan_project_visits(project=project).changed is False


# --- Visits, records and actions -----------------------------------------------------------


def test_submitted_record_page_is_read_only(staff_client: Client, world: dict) -> None:
    record = world[VisitRecord]
    url = _url(VisitRecord, "change", record.pk)

    page = staff_client.get(url)
    post = staff_client.post(url, {"summary": "Rewritten"})

    record.refresh_from_db()
    assert (page.status_code, 'name="_save"' in page.content.decode()) == (200, False)
    assert (post.status_code, record.summary) == (403, "Kickoff went well")


def test_visit_added_in_admin_is_an_adhoc_visit_with_the_default_contacts(
    staff_client: Client, world: dict
) -> None:
    project = world[Project]
    member = project.memberships.get().user

    response = staff_client.post(
        _url(Visit, "add"),
        {"project": project.pk, "phase": "ongoing", "due_date": "2026-05-20", "owner": member.pk},
    )

    visit = project.visits.get(is_adhoc=True)
    assert response.status_code == 302
    assert (visit.due_date, visit.owner, visit.sequence) == (
        datetime.date(2026, 5, 20),
        member,
        None,
    )
    assert list(visit.contacts.all()) == [world[Contact]]


def test_visit_for_an_owner_off_the_team_shows_the_services_reason(
    staff_client: Client, world: dict
) -> None:
    project = world[Project]
    stranger = UserFactory.create(username="stranger", role=Role.MEMBER)

    response = staff_client.post(
        _url(Visit, "add"),
        {"project": project.pk, "phase": "ongoing", "due_date": "2026-05-20", "owner": stranger.pk},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "stranger is not on the team of project P-001."
    ]
    assert project.visits.filter(is_adhoc=True).count() == 0


def test_visit_changed_in_admin_is_scheduled(staff_client: Client, world: dict) -> None:
    visit = world[Visit]
    url = _url(Visit, "change", visit.pk)
    data = form_data(staff_client, url)
    data.update(scheduled_at_0=["2026-06-08"], scheduled_at_1=["10:00:00"], form=["phone"])

    response = staff_client.post(url, data)

    visit.refresh_from_db()
    assert response.status_code == 302
    assert (visit.status, visit.form, visit.scheduled_at) == (
        "scheduled",
        "phone",
        datetime.datetime(2026, 6, 8, 10, tzinfo=SHANGHAI),
    )
    assert list(visit.contacts.all()) == [world[Contact]]


def test_mark_missed_action_marks_past_visits_and_explains_the_rest(
    staff_client: Client, world: dict, time_machine: Any
) -> None:
    _travel_to(time_machine, datetime.date(2026, 6, 20))
    past = world[Visit]
    future = world[Project].visits.get(phase="closing")

    response = staff_client.post(
        _url(Visit, "changelist"),
        {"action": "mark_missed", "_selected_action": [past.pk, future.pk]},
    )

    past.refresh_from_db()
    future.refresh_from_db()
    assert (past.status, future.status) == ("missed", "planned")
    assert messages_of(response) == [
        f"{future}: A visit cannot be missed before its due date has passed.",
        "Visits marked missed: 1.",
    ]


def test_action_added_in_admin_is_open_and_created_by_the_admin(
    staff_client: Client, world: dict, admin_user: User
) -> None:
    project = world[Project]
    member = project.memberships.get().user

    response = staff_client.post(
        _url(ImprovementAction, "add"),
        {
            "project": project.pk,
            "origin": "review",
            "description": "Agree a weekly status call",
            "owner": member.pk,
            "due_date": "2026-05-31",
        },
    )

    action = project.actions.get(origin="review")
    assert response.status_code == 302
    assert (action.status, action.created_by, action.owner) == ("open", admin_user, member)


def test_action_due_date_corrected_in_admin_gets_a_new_revision(
    staff_client: Client, world: dict
) -> None:
    action = world[ImprovementAction]
    url = _url(ImprovementAction, "change", action.pk)
    data = form_data(staff_client, url)
    data["due_date"] = ["2026-04-10"]
    revision = action.revision

    response = staff_client.post(url, data)

    action.refresh_from_db()
    assert response.status_code == 302
    assert (action.due_date, action.status, action.revision) == (
        datetime.date(2026, 4, 10),
        "done",
        revision + 1,
    )


def test_action_given_to_someone_off_the_team_is_refused(staff_client: Client, world: dict) -> None:
    action = world[ImprovementAction]
    stranger = UserFactory.create(username="stranger", role=Role.MEMBER)
    url = _url(ImprovementAction, "change", action.pk)
    data = form_data(staff_client, url)
    data["owner"] = [str(stranger.pk)]

    response = staff_client.post(url, data)

    action.refresh_from_db()
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "stranger is not on the team of project P-001."
    ]
    assert action.owner != stranger


def test_attachment_added_in_admin_is_kept_by_what_it_really_is(
    staff_client: Client, world: dict
) -> None:
    visit = world[Visit]
    upload = SimpleUploadedFile("site photo.jpg", PNG, content_type="image/jpeg")

    response = staff_client.post(_url(Attachment, "add"), {"visit": visit.pk, "file": upload})

    attachment = visit.attachments.get()
    assert response.status_code == 302
    assert (attachment.original_name, attachment.content_type) == ("site photo.jpg", "image/png")


# --- Customers, teams and company days ----------------------------------------------------


def test_primary_contact_moves_to_another_contact_in_one_save(
    staff_client: Client, world: dict
) -> None:
    customer, first = world[Customer], world[Contact]
    second = ContactFactory.create(customer=customer, name="Second contact")
    url = _url(Customer, "change", customer.pk)
    data = form_data(staff_client, url)
    index = {data[f"contacts-{i}-id"][0]: i for i in range(2)}
    del data[f"contacts-{index[str(first.pk)]}-is_primary"]
    data[f"contacts-{index[str(second.pk)]}-is_primary"] = ["on"]

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert list(customer.contacts.filter(is_primary=True)) == [second]


def test_contact_added_as_primary_takes_the_flag_over(staff_client: Client, world: dict) -> None:
    customer = world[Customer]
    data = form_data(staff_client, _url(Contact, "add"))
    data.update(customer=[str(customer.pk)], name=["New contact"], is_primary=["on"])

    response = staff_client.post(_url(Contact, "add"), data)

    assert response.status_code == 302
    assert list(customer.contacts.filter(is_primary=True).values_list("name", flat=True)) == [
        "New contact"
    ]


def test_customer_named_like_another_in_other_case_shows_the_services_reason(
    staff_client: Client, world: dict
) -> None:
    data = form_data(staff_client, _url(Customer, "add"))
    data["name"] = ["CUSTOMER 1"]

    response = staff_client.post(_url(Customer, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "A customer with this name already exists."
    ]


def test_member_added_in_project_admin_joins_with_a_responsibility(
    staff_client: Client, world: dict
) -> None:
    project = world[Project]
    tester = UserFactory.create(username="tester", role=Role.MEMBER)
    url = _url(Project, "change", project.pk)
    data = form_data(staff_client, url)
    data.update(
        {
            "memberships-TOTAL_FORMS": ["2"],
            "memberships-1-project": [str(project.pk)],
            "memberships-1-id": [""],
            "memberships-1-user": [str(tester.pk)],
            "memberships-1-responsibility": ["Acceptance tests"],
        }
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert sorted(project.memberships.values_list("user__username", "responsibility")) == [
        ("member1", ""),
        ("tester", "Acceptance tests"),
    ]


def test_member_removed_in_membership_admin_leaves_the_team(
    staff_client: Client, world: dict
) -> None:
    membership = world[Membership]

    response = staff_client.post(_url(Membership, "delete", membership.pk), {"post": "yes"})

    assert response.status_code == 302
    assert world[Project].memberships.count() == 0


def test_company_day_is_added_but_never_changed_in_place(staff_client: Client, world: dict) -> None:
    day = world[CompanyDay]

    added = staff_client.post(
        _url(CompanyDay, "add"), {"date": "2030-02-01", "kind": "workday", "name": "Make-up day"}
    )
    changed = staff_client.post(
        _url(CompanyDay, "change", day.pk), {"date": "2030-01-01", "kind": "workday"}
    )

    day.refresh_from_db()
    assert (added.status_code, changed.status_code) == (302, 403)
    assert CompanyDay.objects.get(date=datetime.date(2030, 2, 1)).kind == "workday"
    assert day.kind == "holiday"


def test_revoke_action_stops_a_calendar_feed(staff_client: Client, world: dict) -> None:
    feed = world[CalendarFeed]

    response = staff_client.post(
        _url(CalendarFeed, "changelist"), {"action": "revoke", "_selected_action": [feed.pk]}
    )

    feed.refresh_from_db()
    assert (feed.is_active, messages_of(response)) == (False, ["1 feed revoked."])
