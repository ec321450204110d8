"""The dashboard in a real browser: charts draw, figures drill down, a review
freezes the figures and prints."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.core.models import User
from huifang.policy.models import Policy
from tests.e2e.conftest import log_in
from tests.insights.dataset import build

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def data(policy: Policy, owner: User, colleague: User, outsider_pm: User) -> Any:
    return build(policy=policy, owner=owner, colleague=colleague, other_pm=outsider_pm)


def test_dashboard_draws_charts_and_drills_down(page: Any, data: Any, quality: User) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, "quality")
    page.goto("/insights/?date_from=2026-04-01&date_to=2026-04-30")
    for chart in ("ontime", "satisfaction", "problems", "funnel", "ageing"):
        page.wait_for_selector(f"#chart-{chart} canvas")
    assert page.locator('[data-metric="on_time_rate"]').inner_text() == "40.0%"
    assert errors == []
    page.get_by_test_id("overdue-visits").click()
    page.wait_for_url("**/visits/?overdue=1")


def test_review_freezes_figures_and_prints(page: Any, data: Any, quality: User) -> None:
    log_in(page, "quality")
    page.goto("/insights/reviews/new/")
    page.get_by_label("Title").fill("April review")
    page.get_by_label("Period from").fill("2026-04-01")
    page.get_by_label("Period to").fill("2026-04-30")
    page.get_by_role("button", name="Open the review").click()
    page.wait_for_url("**/insights/reviews/*/")
    assert page.locator('[data-metric="visits_due"]').inner_text() == "5"
    page.get_by_role("link", name="Printable report").click()
    page.wait_for_url("**/report/")
    page.wait_for_load_state("load")
    page.emulate_media(media="print")
    assert page.locator("nav.navbar").is_hidden()
    assert page.locator('[data-metric="visits_due"]').inner_text() == "5"
