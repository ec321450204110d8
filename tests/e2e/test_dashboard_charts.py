"""The dashboard's charts as drawn, read from the ECharts instances: on a phone and
in Chinese no text collides with another or leaves the canvas, the problems chart
names every category, action statuses are bars (not a funnel), months without
answers leave a gap in the CSAT and NPS lines, and the month column does not wrap."""

from __future__ import annotations

from typing import Any

import pytest

from huifang.core.models import User
from huifang.policy.models import Policy
from huifang.visits.models import ProblemCategory
from tests.e2e.conftest import log_in
from tests.insights.dataset import build

pytestmark = pytest.mark.django_db(transaction=True)

CHARTS = ("ontime", "satisfaction", "problems", "funnel", "ageing")
PERIOD = "/insights/?date_from=2026-03-01&date_to=2026-06-30"

# Every text element ECharts drew (axis labels, legend items, bar labels), as
# rectangles in the canvas, plus the canvas size.
TEXTS_JS = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const zr = chart.getZr();
  const boxes = [];
  zr.storage.getDisplayList(true).forEach((el) => {
    if (el.type !== 'tspan' || el.invisible || el.ignore || !el.style.text) { return; }
    const rect = el.getBoundingRect().clone();
    const transform = el.getComputedTransform();
    if (transform) { rect.applyTransform(transform); }
    // A scrolling legend clips the items beyond its page: keep what is shown.
    let x1 = rect.x, y1 = rect.y, x2 = rect.x + rect.width, y2 = rect.y + rect.height;
    (el.__clipPaths || []).forEach((path) => {
      const clip = path.getBoundingRect().clone();
      if (path.transform) { clip.applyTransform(path.transform); }
      x1 = Math.max(x1, clip.x); y1 = Math.max(y1, clip.y);
      x2 = Math.min(x2, clip.x + clip.width); y2 = Math.min(y2, clip.y + clip.height);
    });
    if (x2 - x1 < 1 || y2 - y1 < 1) { return; }
    boxes.push({text: String(el.style.text), x: x1, y: y1, w: x2 - x1, h: y2 - y1});
  });
  return {width: zr.getWidth(), height: zr.getHeight(), boxes: boxes};
}"""

OPTION_JS = """(id) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const option = chart.getOption();
  const model = chart.getModel();
  const axes = {};
  ['xAxis', 'yAxis'].forEach((kind) => {
    const axis = model.getComponent(kind);
    if (axis && axis.axis.type === 'category') {
      axes[kind] = axis.axis.getViewLabels().map((label) => label.formattedLabel);
    }
  });
  return {
    types: option.series.map((s) => s.type),
    data: option.series.map((s) => s.data),
    connectNulls: option.series.map((s) => !!s.connectNulls),
    categoryLabels: axes,
  };
}"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    # One pixel of slack: neighbouring labels may touch.
    return (
        a["x"] + 1 < b["x"] + b["w"]
        and b["x"] + 1 < a["x"] + a["w"]
        and a["y"] + 1 < b["y"] + b["h"]
        and b["y"] + 1 < a["y"] + a["h"]
    )


@pytest.fixture
def data(policy: Policy, owner: User, colleague: User, outsider_pm: User) -> Any:
    return build(policy=policy, owner=owner, colleague=colleague, other_pm=outsider_pm)


@pytest.fixture
def phone(make_page: Any, data: Any, quality: User) -> Any:
    page = make_page(locale="zh-CN", viewport={"width": 390, "height": 844})
    log_in(page, "quality")
    page.goto(PERIOD)
    for chart in CHARTS:
        page.wait_for_selector(f"#chart-{chart} canvas")
    return page


def _assert_texts_fit(page: Any) -> None:
    for chart in CHARTS:
        drawn = page.evaluate(TEXTS_JS, f"chart-{chart}")
        boxes = drawn["boxes"]
        assert boxes, chart
        for box in boxes:
            inside = (
                box["x"] >= -1
                and box["y"] >= -1
                and box["x"] + box["w"] <= drawn["width"] + 1
                and box["y"] + box["h"] <= drawn["height"] + 1
            )
            assert inside, (chart, box, drawn["width"])
        clashes = [
            (a["text"], b["text"])
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if _overlap(a, b)
        ]
        assert clashes == [], chart


def test_no_chart_text_overlaps_or_is_cut_off_on_a_phone_in_chinese(phone: Any) -> None:
    _assert_texts_fit(phone)


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_no_chart_text_overlaps_or_is_cut_off_on_a_laptop(
    make_page: Any, data: Any, quality: User, locale: str
) -> None:
    page = make_page(locale=locale, viewport={"width": 1280, "height": 900})
    log_in(page, "quality")
    page.goto(PERIOD)
    for chart in CHARTS:
        page.wait_for_selector(f"#chart-{chart} canvas")
    _assert_texts_fit(page)


def test_problems_chart_names_all_seven_categories(phone: Any) -> None:
    option = phone.evaluate(OPTION_JS, "chart-problems")
    with_labels = [str(label) for _, label in ProblemCategory.choices]
    assert len(with_labels) == 7
    drawn = next(iter(option["categoryLabels"].values()))
    assert len(drawn) == 7
    assert {"质量", "沟通", "技术"} <= set(drawn)


def test_action_statuses_are_bars_each_named(phone: Any) -> None:
    option = phone.evaluate(OPTION_JS, "chart-funnel")
    assert option["types"] == ["bar"]
    labels = next(iter(option["categoryLabels"].values()))
    table = phone.get_by_test_id("funnel").locator("tr td:first-child").all_inner_texts()
    assert labels == table
    assert len(labels) >= 5


def test_months_without_answers_leave_a_gap_in_csat_and_nps(phone: Any) -> None:
    option = phone.evaluate(OPTION_JS, "chart-satisfaction")
    csat, nps = option["data"][0], option["data"][1]
    # March and June have no answers; April and May do.
    assert [value is None for value in csat] == [True, False, False, True]
    assert [value is None for value in nps] == [True, False, False, True]
    assert option["connectNulls"][:2] == [False, False]
    rows = phone.get_by_test_id("months").locator("tbody tr")
    assert rows.nth(0).locator("td").all_inner_texts()[3:] == ["—", "—"]


def test_month_column_does_not_wrap_on_a_phone(phone: Any) -> None:
    months = phone.get_by_test_id("months").locator("tbody tr td:first-child a")
    assert months.count() == 4
    lines = months.evaluate_all("(links) => links.map((a) => a.getClientRects().length)")
    assert lines == [1, 1, 1, 1]
