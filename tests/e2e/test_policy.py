"""A quality manager revises the policy in the browser and reads the new text."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.projects.models import Project
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_quality_manager_edits_publishes_and_reads_the_new_policy(
    page: Any, policy: Policy, project: Project, quality: User
) -> None:
    log_in(page, quality.username)
    page.get_by_role("link", name="Policy", exact=True).click()
    timing = page.get_by_test_id("timing-kickoff")
    assert "within 7 days after the project starts" in timing.inner_text()

    page.get_by_role("button", name="New draft").click()
    page.wait_for_url("**/policy/versions/*/edit/")
    page.fill("#id_rule-kickoff-window_days", "10")
    page.get_by_role("button", name="Save draft").click()
    assert page.get_by_role("status").inner_text() == "Draft saved."

    page.get_by_role("link", name="Publish").click()
    page.fill("#id_change_note", "Ten days for the kickoff visit")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/policy/versions/*/")
    assert (
        page.get_by_role("status")
        .inner_text()
        .startswith("Version 2 published. Projects re-planned: 1 (visits added: 0, moved: ")
    )

    page.get_by_role("link", name="Policy", exact=True).click()
    document = page.get_by_test_id("policy-document")
    assert "Version 2" in document.inner_text()
    assert (
        "within 10 days after the project starts"
        in page.get_by_test_id("timing-kickoff").inner_text()
    )
    assert "Ten days for the kickoff visit" in document.inner_text()
