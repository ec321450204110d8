"""Phone first: below 576 px every list is a list of cards with tap targets of at least
44 px; a member records a visit from the home page in three page loads; the record
form folds, keeps its submit bar in view, and adds and removes problem and measure rows
in the page without losing what was typed (and still does without a script)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from huifang.actions.models import ImprovementAction
from huifang.core.models import User
from huifang.projects.models import Project
from huifang.visits.lifecycle import reassign_visit
from huifang.visits.models import Visit, VisitRecord
from tests.e2e.conftest import PASSWORD, log_in, unfold

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("assets")]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# Every visible control smaller than 44 px in height or width. A checkbox or radio
# counts by its whole .form-check row (its label toggles it too); links inside running
# text are exempt, as WCAG 2.5.8 exempts inline targets.
SMALL_TARGETS = """() => {
  const selector = "a.btn, button, summary, select, textarea, input:not([type=hidden]),"
    + " .nav-link, .page-link, .navbar-toggler";
  const small = [];
  for (const element of document.querySelectorAll(selector)) {
    const target = element.matches("input[type=checkbox], input[type=radio]")
      ? (element.closest(".form-check") || element) : element;
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden"
        || element.closest(".visually-hidden")) continue;
    if (box.height < 44 || box.width < 44) {
      small.push(`${element.tagName} ${(element.textContent || element.name || "").trim()}`
        + ` ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def _overdue_visit(project: Project) -> Visit:
    return project.visits.get(phase="ongoing", sequence=1)


@pytest.fixture
def mine(request: pytest.FixtureRequest) -> tuple[Project, User, ImprovementAction, Visit]:
    """The overdue visit handed to the member, so it is on their home page."""
    project, _, member, action = request.getfixturevalue("running")
    visit = reassign_visit(visit=_overdue_visit(project), owner=member)
    return project, member, action, visit


@pytest.mark.parametrize(
    ("locale", "title", "button"),
    [("en-US", "Ongoing #1", "Record the visit"), ("zh-CN", "进行 #1", "记录回访")],
)
def test_lists_are_cards_on_a_phone_and_tables_on_a_desktop(
    make_page: Any, mine: Any, locale: str, title: str, button: str
) -> None:
    _, member, _, visit = mine
    phone = make_page(locale=locale, **PHONE)
    log_in(phone, member.username)

    lists = {
        "/": ["overdue"],
        "/visits/": ["visit"],
        "/actions/list/": ["action"],
        "/projects/": ["project"],
    }
    for path, testids in lists.items():
        phone.goto(path)
        assert phone.locator("table").filter(visible=True).count() == 0, path
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
        for testid in testids:
            cards = phone.get_by_test_id(f"{testid}-cards").locator("li")
            assert cards.count() >= 1, (path, testid)
            assert cards.first.is_visible(), (path, testid)
        assert phone.evaluate(SMALL_TARGETS) == [], path

    phone.goto("/")
    card = phone.get_by_test_id("overdue-cards").locator("li")
    assert card.get_by_test_id("card-title").inner_text() == title
    assert card.get_by_test_id("card-state").is_visible()
    assert card.get_by_test_id("card-owner").inner_text() == member.username
    assert visit.project.code in card.inner_text()
    assert card.get_by_test_id("card-button").inner_text() == button
    assert card.get_by_test_id("card-button").get_attribute("href") == f"/visits/{visit.pk}/record/"

    phone.goto("/notifications/")
    assert phone.evaluate(SMALL_TARGETS) == []

    desktop = make_page(locale=locale, **DESKTOP)
    log_in(desktop, member.username)
    for path, testids in lists.items():
        desktop.goto(path)
        assert desktop.locator("table").filter(visible=True).count() >= 1, path
        for testid in testids:
            assert not desktop.get_by_test_id(f"{testid}-cards").is_visible()


def test_member_records_a_visit_from_the_phone_home_in_three_page_loads(
    make_page: Any, mine: Any
) -> None:
    _, member, _, visit = mine
    page = make_page(**PHONE)
    page.goto("/login/")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))

    page.click("button[type=submit]")  # 1: home
    page.get_by_test_id("overdue-cards").get_by_role("link", name="Record the visit").click()
    page.wait_for_url(f"**/visits/{visit.pk}/record/")  # 2: the record form
    page.wait_for_load_state("load")
    unfold(page)
    page.fill("#id_record-work_completed", "Inventory module live")
    page.fill("#id_record-summary", "Went through the stock count")
    page.select_option("#id_problems-0-category", "quality")
    page.fill("#id_problems-0-description", "Barcode scanner drops reads")
    page.get_by_test_id("add-problem").click()
    page.select_option("#id_problems-1-category", "schedule")
    page.fill("#id_problems-1-description", "Reports are late")
    page.select_option("#id_feedback-overall_satisfaction", "4")
    page.fill("#id_actions-0-description", "Replace scanner firmware")
    page.select_option("#id_actions-0-owner", label=member.username)
    page.fill(
        "#id_actions-0-due_date", (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    )
    page.get_by_test_id("submit-record").click()
    page.wait_for_url(f"**/visits/{visit.pk}/")  # 3: the submitted visit
    page.wait_for_load_state("load")

    assert page.get_by_test_id("record-status").inner_text() == "Submitted · read-only"
    record = VisitRecord.objects.get(visit=visit)
    assert sorted(record.problems.values_list("description", flat=True)) == [
        "Barcode scanner drops reads",
        "Reports are late",
    ]
    assert record.feedback.count() == 1
    assert list(record.actions.values_list("description", flat=True)) == [
        "Replace scanner firmware"
    ]
    assert [url.split("://", 1)[1].split("/", 1)[1] for url in loads] == [
        "",
        f"visits/{visit.pk}/record/",
        f"visits/{visit.pk}/",
    ]


def test_record_form_folds_on_a_phone_and_keeps_its_submit_bar_in_view(
    make_page: Any, mine: Any
) -> None:
    _, member, _, visit = mine
    page = make_page(**PHONE)
    log_in(page, member.username)
    page.goto(f"/visits/{visit.pk}/record/")

    folds = page.locator("details.record-fold")
    assert folds.count() == 5
    assert page.locator("details.record-fold[open]").count() == 0
    bar = page.get_by_test_id("submit-bar")
    # The folded form, from the top of the page to its end, fits on two screens (the
    # sticky bar's own position would say less: it sits at the bottom of the screen).
    bottom = page.evaluate(
        "document.getElementById('record-form').getBoundingClientRect().bottom + window.scrollY"
    )
    assert bottom <= 2 * 844
    folded_height = page.evaluate("document.documentElement.scrollHeight")
    assert page.evaluate(SMALL_TARGETS) == []

    unfold(page)
    assert page.evaluate("document.documentElement.scrollHeight") > folded_height + 844
    page.locator("#id_feedback-evaluation").scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= 844
    assert page.get_by_test_id("submit-record").is_visible()

    # A section with an error comes back open; the others fold again.
    page.select_option("#id_problems-0-category", "quality")
    page.get_by_test_id("save-draft").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("form-errors").is_visible()
    assert page.locator("details.record-fold[open]").count() == 1
    assert page.locator("#id_problems-0-description").is_visible()


def test_adding_and_removing_rows_keeps_the_page_and_what_was_typed(page: Any, mine: Any) -> None:
    _, member, _, visit = mine
    log_in(page, member.username)
    page.goto(f"/visits/{visit.pk}/record/")
    page.wait_for_load_state("load")
    page.evaluate("window.notReloaded = true")

    page.fill("#id_record-summary", "Typed first")
    page.select_option("#id_problems-0-category", "quality")
    page.fill("#id_problems-0-description", "First")
    page.get_by_test_id("add-problem").click()
    assert page.evaluate("document.activeElement.id") == "id_problems-1-category"
    page.select_option("#id_problems-1-category", "scope")
    page.fill("#id_problems-1-description", "Second")
    page.get_by_test_id("add-problem").click()
    page.select_option("#id_problems-2-category", "schedule")
    page.fill("#id_problems-2-description", "Third")
    page.get_by_test_id("problem-row").nth(1).get_by_test_id("remove-problem").click()
    page.get_by_test_id("add-action").click()
    page.get_by_test_id("action-row").nth(1).get_by_test_id("remove-action").click()

    assert page.evaluate("window.notReloaded") is True
    assert page.get_by_test_id("problem-row").count() == 2
    assert page.input_value("input[name=problems-TOTAL_FORMS]") == "2"
    assert page.input_value("input[name=actions-TOTAL_FORMS]") == "1"
    # The third row moved up and was renumbered, label and all.
    assert page.input_value("#id_problems-1-description") == "Third"
    assert page.get_by_label("Description", exact=True).nth(1).input_value() == "Third"
    assert page.input_value("#id_problems-0-description") == "First"
    assert page.input_value("#id_record-summary") == "Typed first"

    page.get_by_test_id("save-draft").click()
    assert page.get_by_role("status").first.inner_text() == "Draft saved."
    record = VisitRecord.objects.get(visit=visit)
    assert sorted(record.problems.values_list("description", "category")) == [
        ("First", "quality"),
        ("Third", "schedule"),
    ]


def test_adding_a_row_without_script_posts_and_keeps_what_was_typed(
    make_page: Any, mine: Any
) -> None:
    _, member, _, visit = mine
    page = make_page(java_script_enabled=False, **PHONE)
    log_in(page, member.username)
    page.goto(f"/visits/{visit.pk}/record/")
    # Without the script nothing folds and no remove button shows that could not work.
    assert page.locator("details.record-fold[open]").count() == 5
    assert page.get_by_test_id("remove-problem").filter(visible=True).count() == 0

    page.fill("#id_problems-0-description", "First")
    page.select_option("#id_problems-0-category", "quality")
    page.get_by_test_id("add-problem").click()
    page.fill("#id_problems-1-description", "Second")

    assert page.input_value("#id_problems-0-description") == "First"
    assert page.get_by_test_id("problem-row").count() == 2
