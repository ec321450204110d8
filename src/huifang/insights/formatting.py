"""Formatting of metric values: ratios as percentages, scores with one decimal.

Template filters (settings.HUIFANG_TEMPLATE_FILTERS)."""

from __future__ import annotations

from huifang.insights.labels import RATIO_METRICS


def metric_value(value: float | int | None, name: str) -> str:
    if value is None:
        return "—"
    if name in RATIO_METRICS:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
