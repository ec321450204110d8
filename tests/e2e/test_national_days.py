"""In the browser: the calendar's holiday legend on a phone, and a quality manager
pasting the State Council's notice, correcting a line the preview refuses, saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from huifang.core.models import User
from huifang.policy.models import NationalYear, Policy
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

NOTICE_2026 = (Path(__file__).parent.parent / "core" / "notices" / "2026.txt").read_text()


def test_the_holiday_legend_and_marks_are_readable_on_a_phone_in_chinese(
    make_page: Any,
    policy: Policy,
    colleague: User,
    assets: None,
) -> None:
    page = make_page(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    log_in(page, colleague.username)
    page.goto("/calendar/?month=2026-02")

    legend = page.get_by_test_id("day-legend")
    assert legend.is_visible()
    assert [item.inner_text().strip() for item in legend.locator("li").all()] == [
        "法定节假日",
        "调休上班日",
        "公司自定日",
    ]
    for item in legend.locator("li").all():
        box = item.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The phone list shows the worked Saturday, coloured and said in words.
    worked = page.locator('[data-testid="calendar-month-list"] section[data-date="2026-02-14"]')
    assert worked.is_visible()
    assert "调休上班日" in worked.inner_text()
    colour = worked.evaluate("element => getComputedStyle(element).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")


def test_a_quality_manager_corrects_a_refused_line_in_the_preview_and_saves(
    page: Any,
    policy: Policy,
    quality: User,
    assets: None,
) -> None:
    log_in(page, quality.username)
    page.goto("/policy/national-days/")
    page.fill("#id_year", "2026")
    page.fill("#id_text", NOTICE_2026.replace("共9天", "共10天"))
    page.get_by_role("button", name="Preview").click()

    errors = page.get_by_test_id("notice-errors")
    assert "Line 6: the line says 10 days" in errors.inner_text()
    assert page.get_by_role("button", name="Save 2026").count() == 0

    text = page.input_value("#id_text")  # the pasted text is kept for correcting
    page.fill("#id_text", text.replace("共10天", "共9天"))
    page.get_by_role("button", name="Preview").click()
    assert page.get_by_test_id("notice-errors").count() == 0
    assert page.get_by_test_id("line-day").count() == 39

    page.get_by_role("button", name="Save 2026").click()
    page.wait_for_url("**/policy/national-days/")
    assert page.get_by_role("status").first.inner_text().startswith("2026 loaded.")
    assert NationalYear.objects.get(year=2026).loaded_by == quality
