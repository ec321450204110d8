"""Formatting of metric values: ratios as percentages, scores with one decimal."""

from __future__ import annotations

from django import template

from huifang.insights.labels import RATIO_METRICS

register = template.Library()


@register.filter
def metric_value(value: float | int | None, name: str) -> str:
    if value is None:
        return "—"
    if name in RATIO_METRICS:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
