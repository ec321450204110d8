"""Human names of the metrics (one place for pages, exports and review reports)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def metric_labels() -> dict[str, str]:
    return {
        "visits_due": _("Visits due"),
        "visits_done_on_time": _("Visits done on time"),
        "on_time_rate": _("On-time rate"),
        "completion_rate": _("Completion rate"),
        "overdue_open": _("Overdue visits"),
        "coverage_rate": _("Coverage"),
        "csat": _("CSAT"),
        "avg_satisfaction": _("Average satisfaction"),
        "nps": _("NPS"),
        "actions_created": _("Actions created"),
        "actions_closed": _("Actions closed"),
        "action_closure_rate": _("Action closure rate"),
        "actions_overdue": _("Overdue actions"),
        "verification_effective_rate": _("Verified effective rate"),
        "record_completeness": _("Record completeness"),
        "survey_response_rate": _("Survey response rate"),
    }


RATIO_METRICS = frozenset(
    {
        "on_time_rate",
        "completion_rate",
        "coverage_rate",
        "action_closure_rate",
        "verification_effective_rate",
        "record_completeness",
        "survey_response_rate",
    }
)
