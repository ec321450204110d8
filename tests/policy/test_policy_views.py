"""The policy pages: reading the document, drafting, publishing, company days."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huifang.core.models import User
from huifang.policy.models import CompanyDay, Policy, PolicyVersion, PolicyVersionStatus
from huifang.policy.services import create_policy_draft, publish_policy_version
from huifang.projects.models import Project
from huifang.visits.models import Visit
from tests.pages import form_version

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _draft(policy: Policy) -> PolicyVersion:
    return create_policy_draft(policy=policy, based_on=policy.versions.get(number=1))


def _draft_post(draft: PolicyVersion, *, kickoff_window: int = 7, **changes: object) -> dict:
    """The edit form as the page posts it, with the draft's current values."""
    data: dict[str, object] = {
        "calendar": draft.calendar,
        "ongoing_clearance_days": draft.ongoing_clearance_days,
        "rolling_horizon_days": draft.rolling_horizon_days,
        "reminder_lead_days": draft.reminder_lead_days,
        "escalate_to_manager_days": draft.escalate_to_manager_days,
        "escalate_to_quality_days": draft.escalate_to_quality_days,
        "missed_grace_days": draft.missed_grace_days,
        "survey_expiry_days": draft.survey_expiry_days,
        "survey_reminder_days": draft.survey_reminder_days,
        "survey_after_phase": draft.survey_after_phase,
        "target_on_time_rate": draft.target_on_time_rate,
        "target_csat": draft.target_csat,
        "target_nps": draft.target_nps,
        "target_action_closure_days": draft.target_action_closure_days,
        "rule-kickoff-anchor": "start",
        "rule-kickoff-offset_days": 0,
        "rule-kickoff-window_days": kickoff_window,
        "rule-ongoing-enabled": "on",
        "rule-closing-enabled": "on",
        "rule-closing-anchor": "end",
        "rule-closing-offset_days": 0,
        "rule-closing-window_days": 7,
        "rule-aftercare-anchor": "end",
        "rule-aftercare-offset_days": 30,
        "rule-aftercare-window_days": 7,
    }
    items = list(draft.checklist_items.order_by("position"))
    data |= {
        "checklist-TOTAL_FORMS": len(items) + 1,
        "checklist-INITIAL_FORMS": len(items),
        "checklist-MIN_NUM_FORMS": 0,
        "checklist-MAX_NUM_FORMS": 1000,
    }
    for i, item in enumerate(items):
        data |= {
            f"checklist-{i}-key": item.key,
            f"checklist-{i}-phase": item.phase,
            f"checklist-{i}-label_zh": item.label_zh,
            f"checklist-{i}-label_en": item.label_en,
        }
    data |= changes
    return data


# --- Reading -----------------------------------------------------------------------


def test_policy_page_anonymous_redirects_to_login(policy: Policy) -> None:
    response = Client().get(reverse("policy:current"))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={reverse('policy:current')}"


@pytest.mark.parametrize("username", ["colleague", "executive", "owner"])
def test_policy_page_any_signed_in_user_reads_the_document(
    policy: Policy, owner: User, colleague: User, executive: User, username: str
) -> None:
    user = User.objects.get(username=username)
    response = _client(user).get(reverse("policy:current"))
    assert response.status_code == 200
    assert response.context["version"] == policy.versions.get(number=1)
    assert b"New draft" not in response.content


def test_policy_page_quality_manager_sees_new_draft_button(policy: Policy, quality: User) -> None:
    response = _client(quality).get(reverse("policy:current"))
    assert b"New draft" in response.content


def test_published_version_page_has_no_edit_links(policy: Policy, quality: User) -> None:
    published = policy.versions.get(number=1)
    response = _client(quality).get(reverse("policy:version", args=[published.pk]))
    assert response.status_code == 200
    assert reverse("policy:edit_draft", args=[published.pk]).encode() not in response.content
    assert reverse("policy:publish", args=[published.pk]).encode() not in response.content


def test_versions_list_shows_change_notes_and_effective_dates(
    policy: Policy, colleague: User
) -> None:
    response = _client(colleague).get(reverse("policy:versions"))
    assert response.status_code == 200
    assert [row.number for row in response.context["page"]] == [1]
    assert b"Initial version / \xe5\x88\x9d\xe5\xa7\x8b\xe7\x89\x88\xe6\x9c\xac" in response.content
    assert b"2000" in response.content


def test_versions_list_query_count_does_not_grow_with_rows(policy: Policy, quality: User) -> None:
    client = _client(quality)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("policy:versions"))
    for n in range(3):
        draft = _draft(policy)
        publish_policy_version(
            version=draft, effective_from=datetime.date(2001 + n, 1, 1), published_by=quality
        )
    with CaptureQueriesContext(connection) as several:
        response = client.get(reverse("policy:versions"))
    assert len(response.context["page"]) == 4
    assert len(several) == len(one)


# --- Drafting ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["owner", "colleague", "executive"])
def test_new_draft_forbidden_without_policy_right(
    policy: Policy, owner: User, colleague: User, executive: User, username: str
) -> None:
    client = _client(User.objects.get(username=username))
    assert client.get(reverse("policy:new_draft")).status_code == 403
    assert client.post(reverse("policy:new_draft")).status_code == 403
    assert policy.versions.count() == 1


@pytest.mark.parametrize("username", ["quality", "admin"])
def test_new_draft_copies_version_in_force(
    policy: Policy, quality: User, admin_user: User, username: str
) -> None:
    client = _client(User.objects.get(username=username))
    response = client.post(reverse("policy:new_draft"), {"change_note": "Longer kickoff"})
    draft = policy.versions.get(number=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("policy:edit_draft", args=[draft.pk])
    assert draft.status == PolicyVersionStatus.DRAFT
    assert draft.change_note == "Longer kickoff"
    assert sorted(draft.rules.values_list("phase", flat=True)) == ["closing", "kickoff", "ongoing"]


def test_new_draft_when_a_draft_exists_continues_it(policy: Policy, quality: User) -> None:
    draft = _draft(policy)
    response = _client(quality).post(reverse("policy:new_draft"))
    assert response["Location"] == reverse("policy:edit_draft", args=[draft.pk])
    assert policy.versions.count() == 2


@pytest.mark.parametrize("username", ["owner", "colleague", "executive"])
def test_edit_draft_forbidden_without_policy_right(
    policy: Policy, owner: User, colleague: User, executive: User, username: str
) -> None:
    draft = _draft(policy)
    client = _client(User.objects.get(username=username))
    url = reverse("policy:edit_draft", args=[draft.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _draft_post(draft, kickoff_window=3)).status_code == 403
    assert draft.rules.get(phase="kickoff").window_days == 7


def test_edit_draft_saves_rules_settings_and_checklist(policy: Policy, quality: User) -> None:
    draft = _draft(policy)
    data = _draft_post(
        draft,
        kickoff_window=10,
        **{
            "rule-ongoing-enabled": "",
            "rule-aftercare-enabled": "on",
            "reminder_lead_days": 5,
            "checklist-0-DELETE": "on",
            "checklist-4-phase": "aftercare",
            "checklist-4-label_zh": "客户已正常使用系统",
            "checklist-4-label_en": "The customer uses the system",
        },
    )
    client = _client(quality)
    page = reverse("policy:edit_draft", args=[draft.pk])
    response = client.post(page, {**data, "version": form_version(client, page)})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.reminder_lead_days == 5
    rules = {
        rule.phase: (rule.anchor, rule.offset_days, rule.window_days) for rule in draft.rules.all()
    }
    assert rules == {
        "kickoff": ("start", 0, 10),
        "closing": ("end", 0, 7),
        "aftercare": ("end", 30, 7),
    }
    items = list(draft.checklist_items.order_by("position").values_list("phase", "key"))
    assert items == [
        ("kickoff", "plan_confirmed"),
        ("closing", "results_accepted"),
        ("closing", "lessons_learned"),
        ("aftercare", "the-customer-uses-the-system"),
    ]


def test_edit_draft_validation_error_keeps_input(policy: Policy, quality: User) -> None:
    draft = _draft(policy)
    data = _draft_post(
        draft, kickoff_window=12, escalate_to_manager_days=9, escalate_to_quality_days=2
    )
    client = _client(quality)
    page = reverse("policy:edit_draft", args=[draft.pk])
    response = client.post(page, {**data, "version": form_version(client, page)})
    assert response.status_code == 200
    assert response.context["settings_form"].errors == {
        "escalate_to_quality_days": [
            "Escalate to quality managers no earlier than to the project manager."
        ]
    }
    assert b'value="12"' in response.content
    assert draft.rules.get(phase="kickoff").window_days == 7


def test_edit_published_version_is_forbidden(policy: Policy, quality: User) -> None:
    published = policy.versions.get(number=1)
    client = _client(quality)
    url = reverse("policy:edit_draft", args=[published.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _draft_post(published, kickoff_window=3)).status_code == 403
    assert client.post(reverse("policy:publish", args=[published.pk])).status_code == 403
    assert published.rules.get(phase="kickoff").window_days == 7


# --- Publishing ----------------------------------------------------------------------


def _kickoff(project: Project) -> Visit:
    return Visit.objects.get(project=project, phase="kickoff", sequence=1)


@time_machine.travel(datetime.datetime(2026, 3, 1, 10, 0), tick=False)
def test_publish_replans_projects_and_shows_summary(
    project: Project, policy: Policy, quality: User
) -> None:
    assert _kickoff(project).due_date == datetime.date(2026, 3, 9)
    before = dict(Visit.objects.filter(project=project).values_list("pk", "due_date"))
    draft = _draft(policy)
    client = _client(quality)
    edit = reverse("policy:edit_draft", args=[draft.pk])
    data = _draft_post(draft, kickoff_window=10)
    client.post(edit, {**data, "version": form_version(client, edit)}, follow=True)
    publish = reverse("policy:publish", args=[draft.pk])
    response = client.post(
        publish,
        {
            "effective_from": "2026-03-01",
            "change_note": "Ten days for the kickoff visit",
            "version": form_version(client, publish),
        },
        follow=True,
    )
    draft.refresh_from_db()
    assert response.redirect_chain == [(reverse("policy:version", args=[draft.pk]), 302)]
    assert draft.is_published
    assert draft.change_note == "Ten days for the kickoff visit"
    assert draft.published_by == quality
    kickoff = _kickoff(project)
    assert kickoff.due_date == datetime.date(2026, 3, 12)
    assert kickoff.policy_version == draft
    # Moved counts the visits whose dates changed (the kickoff and the ongoing visits
    # counted from it), not every planned visit stamped with the new version.
    after = dict(Visit.objects.filter(project=project).values_list("pk", "due_date"))
    moved = sum(1 for pk, due in after.items() if before[pk] != due)
    assert 0 < moved < Visit.objects.filter(project=project, policy_version=draft).count()
    assert [str(m) for m in response.context["messages"]] == [
        f"Version 2 published. Projects re-planned: 1 (visits added: 0, moved: {moved}, "
        "removed: 0)."
    ]


@time_machine.travel(datetime.datetime(2026, 3, 1, 10, 0), tick=False)
def test_publish_with_future_date_defers_replanning(
    project: Project, policy: Policy, quality: User
) -> None:
    draft = _draft(policy)
    client = _client(quality)
    edit = reverse("policy:edit_draft", args=[draft.pk])
    data = _draft_post(draft, kickoff_window=10)
    client.post(edit, {**data, "version": form_version(client, edit)}, follow=True)
    publish = reverse("policy:publish", args=[draft.pk])
    response = client.post(
        publish,
        {
            "effective_from": "2026-04-01",
            "change_note": "Later",
            "version": form_version(client, publish),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert _kickoff(project).due_date == datetime.date(2026, 3, 9)
    assert [str(m) for m in response.context["messages"]] == [
        "Version 2 published. It takes effect on 1 Apr 2026. Projects that follow this "
        "policy: 1; their plans change on that date."
    ]


def test_publish_without_change_note_shows_error_and_keeps_input(
    policy: Policy, quality: User
) -> None:
    draft = _draft(policy)
    client = _client(quality)
    page = reverse("policy:publish", args=[draft.pk])
    response = client.post(
        page, {"effective_from": "2026-05-01", "version": form_version(client, page)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"change_note": ["This field is required."]}
    assert b'value="2026-05-01"' in response.content
    draft.refresh_from_db()
    assert not draft.is_published


def test_publish_before_latest_effective_date_is_refused(policy: Policy, quality: User) -> None:
    draft = _draft(policy)
    client = _client(quality)
    page = reverse("policy:publish", args=[draft.pk])
    response = client.post(
        page,
        {
            "effective_from": "1999-12-31",
            "change_note": "Backdated",
            "version": form_version(client, page),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The effective date cannot be before 1 Jan 2000, when the latest version took effect."
    ]
    draft.refresh_from_db()
    assert not draft.is_published


@pytest.mark.parametrize("username", ["owner", "colleague", "executive"])
def test_publish_forbidden_without_policy_right(
    policy: Policy, owner: User, colleague: User, executive: User, username: str
) -> None:
    draft = _draft(policy)
    response = _client(User.objects.get(username=username)).post(
        reverse("policy:publish", args=[draft.pk]),
        {"effective_from": "2026-05-01", "change_note": "x"},
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert not draft.is_published


def test_unknown_version_is_404(policy: Policy, quality: User) -> None:
    client = _client(quality)
    assert client.get(reverse("policy:version", args=[999])).status_code == 404
    assert client.get(reverse("policy:edit_draft", args=[999])).status_code == 404


# --- Company days --------------------------------------------------------------------


def test_company_days_quality_adds_a_holiday(policy: Policy, quality: User) -> None:
    response = _client(quality).post(
        reverse("policy:company_days"),
        {"date": "2026-12-31", "kind": "holiday", "name": "Year-end party"},
    )
    assert response.status_code == 302
    assert list(CompanyDay.objects.values_list("date", "kind", "name")) == [
        (datetime.date(2026, 12, 31), "holiday", "Year-end party")
    ]


def test_company_days_date_cannot_be_both(policy: Policy, quality: User) -> None:
    CompanyDay.objects.create(date=datetime.date(2026, 12, 31), kind="holiday", name="Party")
    response = _client(quality).post(
        reverse("policy:company_days"),
        {"date": "2026-12-31", "kind": "workday", "name": "Inventory"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "date": ["This date is already a company holiday: remove it first to change it."]
    }
    assert b'value="Inventory"' in response.content
    assert CompanyDay.objects.get().kind == "holiday"


def test_company_days_remove(policy: Policy, quality: User) -> None:
    day = CompanyDay.objects.create(date=datetime.date(2026, 12, 31), kind="holiday")
    response = _client(quality).post(reverse("policy:company_day_remove", args=[day.pk]))
    assert response.status_code == 302
    assert CompanyDay.objects.count() == 0


@pytest.mark.parametrize("username", ["owner", "colleague", "executive"])
def test_company_days_read_only_without_policy_right(
    policy: Policy, owner: User, colleague: User, executive: User, username: str
) -> None:
    day = CompanyDay.objects.create(date=datetime.date(2026, 12, 31), kind="holiday")
    client = _client(User.objects.get(username=username))
    response = client.get(reverse("policy:company_days"))
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert b"Add a day" not in response.content
    post = client.post(reverse("policy:company_days"), {"date": "2026-12-30", "kind": "holiday"})
    assert post.status_code == 403
    remove = client.post(reverse("policy:company_day_remove", args=[day.pk]))
    assert remove.status_code == 403
    assert CompanyDay.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["current", "versions", "company_days", "new_draft", "edit_draft", "publish"]
)
def test_policy_pages_render_in_chinese(policy: Policy, quality: User, name: str) -> None:
    draft = _draft(policy) if name in ("edit_draft", "publish") else None
    url = reverse(f"policy:{name}", args=[draft.pk] if draft else [])
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(quality)
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


def _publish_with(
    client: Client, draft: PolicyVersion, kickoff_window: int = 7, **changes: object
) -> list[str]:
    edit = reverse("policy:edit_draft", args=[draft.pk])
    data = _draft_post(draft, kickoff_window=kickoff_window, **changes)
    client.post(edit, {**data, "version": form_version(client, edit)}, follow=True)
    publish = reverse("policy:publish", args=[draft.pk])
    response = client.post(
        publish,
        {
            "effective_from": "2026-03-01",
            "change_note": "Escalate sooner",
            "version": form_version(client, publish),
        },
        follow=True,
    )
    return [str(m) for m in response.context["messages"]]


@time_machine.travel(datetime.datetime(2026, 3, 1, 10, 0), tick=False)
def test_publishing_only_escalation_days_moves_no_visit_and_says_rules_changed(
    project: Project, policy: Policy, quality: User
) -> None:
    dates = sorted(Visit.objects.filter(project=project).values_list("pk", "due_date"))
    draft = _draft(policy)
    messages = _publish_with(_client(quality), draft, escalate_to_manager_days=5)
    assert messages == [
        "Version 2 published. Projects checked: 1; no visit dates changed. Reminder and "
        "escalation rules changed (escalate to the project manager after days overdue: "
        "3 → 5)."
    ]
    # The planned visits follow the new version, with the dates they had.
    assert sorted(Visit.objects.filter(project=project).values_list("pk", "due_date")) == dates
    assert Visit.objects.filter(project=project, policy_version=draft).exists()


@time_machine.travel(datetime.datetime(2026, 3, 1, 10, 0), tick=False)
def test_publishing_counts_only_visits_whose_dates_changed_in_chinese(
    project: Project, policy: Policy, quality: User
) -> None:
    quality.language = "zh-hans"
    quality.save(update_fields=["language"])
    draft = _draft(policy)
    (message,) = _publish_with(
        _client(quality), draft, kickoff_window=10, escalate_to_quality_days=9
    )
    # The kickoff (3-09 → 3-12) and the ongoing visits counted from it move; the
    # closing visit keeps its date but is stamped with the new version too.
    assert Visit.objects.filter(project=project, policy_version=draft).count() == 7
    assert "调整 6 次" in message
    assert "提醒与升级规则已变更" in message
    assert "7 → 9" in message
