"""Browser tests of the project pages: a project manager sets up a project, sees its
planned visits, moves its end date and sees the plan change; the list in Chinese."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.visits.models import Visit
from tests.e2e.conftest import log_in
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_creates_project_and_sees_plan_change_after_new_end_date(
    page: Any, policy: Policy, owner: User
) -> None:
    customer = CustomerFactory.create(name="Acme Steel")
    ContactFactory.create(customer=customer, name="Wang Fang")
    start = timezone.localdate() + datetime.timedelta(days=7)
    log_in(page, owner.username)

    page.goto("/projects/")
    page.get_by_test_id("new-project").click()
    page.fill("#id_code", "E2E-1")
    page.fill("#id_name", "Plant upgrade")
    page.select_option("#id_customer", label="Acme Steel")
    page.select_option("#id_status", value="active")
    page.select_option("#id_cadence", value="monthly")
    page.fill("#id_planned_start", start.isoformat())
    page.fill("#id_planned_end", (start + datetime.timedelta(days=120)).isoformat())
    page.select_option("#id_policy", value=str(policy.pk))
    page.select_option("#id_default_contacts", label="Acme Steel · Wang Fang")
    page.get_by_role("button", name="Create project").click()

    page.wait_for_url("**/projects/*/?changed=*")
    project = Project.objects.get(code="E2E-1")
    planned = Visit.objects.filter(project=project).count()
    assert planned > 0
    assert page.get_by_test_id("plan-visit").count() == planned
    assert page.get_by_role("status").filter(has_text="visits added").count() == 1

    page.get_by_test_id("edit-project").click()
    page.fill("#id_planned_end", (start + datetime.timedelta(days=240)).isoformat())
    page.get_by_role("button", name="Save").click()

    page.wait_for_url(f"**/projects/{project.pk}/?changed=*")
    replanned = Visit.objects.filter(project=project).count()
    assert replanned > planned
    message = page.get_by_role("status").inner_text()
    assert message.startswith("Visit plan updated: ")
    assert page.get_by_test_id("plan-visit").count() == replanned
    assert page.locator("[data-changed=true]").count() >= replanned - planned


def test_project_list_in_chinese(make_page: Any, project: Project, owner: User) -> None:
    page = make_page(locale="zh-CN")
    log_in(page, owner.username)
    page.goto("/projects/")
    assert page.locator("h1").inner_text() == "项目"
    assert page.get_by_test_id("project-row").count() == 1
    assert page.get_by_test_id("project-status").inner_text() == "进行中"


def test_project_keeps_its_contacts_when_only_its_name_is_edited(
    page: Any, policy: Policy, owner: User
) -> None:
    customer = CustomerFactory.create(name="Acme Steel")
    ContactFactory.create(customer=customer, name="Wang Fang")
    ContactFactory.create(customer=customer, name="Li Lei")
    ContactFactory.create(customer=CustomerFactory.create(name="Other Co"), name="Zhao Yun")
    start = timezone.localdate() + datetime.timedelta(days=7)
    log_in(page, owner.username)

    page.goto("/projects/new/")
    page.fill("#id_code", "E2E-2")
    page.fill("#id_name", "Plant upgrade")
    page.select_option("#id_customer", label="Acme Steel")
    page.fill("#id_planned_start", start.isoformat())
    page.fill("#id_planned_end", (start + datetime.timedelta(days=120)).isoformat())
    page.select_option("#id_policy", value=str(policy.pk))
    # The picker offers the chosen customer's contacts, and only theirs.
    offered = page.locator("#id_default_contacts option:not([hidden])").all_inner_texts()
    assert offered == ["Acme Steel · Li Lei", "Acme Steel · Wang Fang"]
    page.select_option(
        "#id_default_contacts", label=["Acme Steel · Wang Fang", "Acme Steel · Li Lei"]
    )
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/projects/*/?changed=*")
    project = Project.objects.get(code="E2E-2")
    assert sorted(c.name for c in project.default_contacts.all()) == ["Li Lei", "Wang Fang"]

    page.get_by_test_id("edit-project").click()
    page.fill("#id_name", "Plant upgrade, phase 2")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/projects/{project.pk}/**")

    project.refresh_from_db()
    assert project.name == "Plant upgrade, phase 2"
    assert sorted(c.name for c in project.default_contacts.all()) == ["Li Lei", "Wang Fang"]
