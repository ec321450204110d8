"""Every metric on the hand-built dataset of dataset.py, expected values by hand.

Period April 2026, today 2026-05-10.
Visits due in April, not cancelled: v1, v2, v3 (missed), v7 (planned), v8 → 5;
done: v1, v2 (late), v8 → 3; on time: v1 (done on its due day), v8 → 2;
overdue (not done, due < today): v3, v7 → 2.
Active projects in April: A, B, E (E ends on 04-01, the first day); C ended 03-31,
D is planned. Visited in April: A (v1, v5 completed 04-03), B (v8) → 2/3.
Feedback received in April: 5/10, 4/9, 2/3 (A) and 3/– (B); 1/0 on 05-01 is out.
CSAT 2 of 4 → 50; average 14/4 = 3.5; NPS (2 promoters − 1 detractor)/3 → 33.33.
Actions created in April: a1, a3, a5 → 3, of which a1 verified effective → 1/3;
closed in April: a1 (04-20), a2 (04-02) → 2; overdue: a3, a4 (due in April, open).
Verdicts in submitted records: a2 effective, a1 effective, a5 not effective → 2/3
(a3's is in a draft record, a4's is "not yet").
Submitted records of visits due in April: r1, r2, r8; complete: r1 only → 1/3.
Invitations sent in April: v1 (answered), v2, v8 (answered) → 2/3.
"""

from __future__ import annotations

import pytest
from django.db import connection

from huifang.insights.metrics import METRIC_NAMES, summary
from tests.insights.dataset import APRIL, TODAY, D, build


@pytest.fixture
def data(policy, owner, colleague, outsider_pm):
    return build(policy=policy, owner=owner, colleague=colleague, other_pm=outsider_pm)


def _april(user, **filters):
    return summary(user=user, date_from=APRIL[0], date_to=APRIL[1], today=TODAY, **filters)


def test_summary_all_metrics_for_quality_manager(data, quality) -> None:
    figures = _april(quality)
    nps = figures.pop("nps")
    assert nps == pytest.approx(100 / 3)
    assert figures == {
        "visits_due": 5,
        "visits_done_on_time": 2,
        "on_time_rate": 2 / 5,
        "completion_rate": 3 / 5,
        "overdue_open": 2,
        "coverage_rate": 2 / 3,
        "csat": 50.0,
        "avg_satisfaction": 3.5,
        "actions_created": 3,
        "actions_closed": 2,
        "action_closure_rate": 1 / 3,
        "actions_overdue": 2,
        "verification_effective_rate": 2 / 3,
        "record_completeness": 1 / 3,
        "survey_response_rate": 2 / 3,
    }


def test_summary_names_match_design(data, quality) -> None:
    assert tuple(_april(quality)) == METRIC_NAMES


def test_summary_zero_denominators_are_none(data, quality) -> None:
    figures = summary(user=quality, date_from=D(2020, 1, 1), date_to=D(2020, 1, 31), today=TODAY)
    assert figures == {
        "visits_due": 0,
        "visits_done_on_time": 0,
        "on_time_rate": None,
        "completion_rate": None,
        "overdue_open": 0,
        "coverage_rate": None,
        "csat": None,
        "avg_satisfaction": None,
        "nps": None,
        "actions_created": 0,
        "actions_closed": 0,
        "action_closure_rate": None,
        "actions_overdue": 0,
        "verification_effective_rate": None,
        "record_completeness": None,
        "survey_response_rate": None,
    }


def test_summary_period_boundaries_are_inclusive(data, quality) -> None:
    # Only 1 April: v1 due (done that day), feedback 5/10, a2 closed on 04-02 is out.
    figures = summary(user=quality, date_from=D(2026, 4, 1), date_to=D(2026, 4, 1), today=TODAY)
    assert figures["visits_due"] == 1
    assert figures["on_time_rate"] == 1.0
    assert figures["csat"] == 100.0
    assert figures["nps"] == 100.0
    assert figures["actions_closed"] == 0
    # Active on 04-01: A and E (ends that day); A visited that day.
    assert figures["coverage_rate"] == 1 / 2


def test_summary_member_sees_only_their_projects(data, colleague) -> None:
    figures = _april(colleague)
    assert figures["visits_due"] == 3  # v1, v2, v3 of project A
    assert figures["visits_done_on_time"] == 1
    assert figures["overdue_open"] == 1
    assert figures["coverage_rate"] == 1.0  # A only (E is not theirs)
    assert figures["avg_satisfaction"] == 11 / 3
    assert figures["actions_overdue"] == 1  # a3
    assert figures["verification_effective_rate"] == 2 / 3  # a2, a1 (a1 in B's record)
    assert figures["survey_response_rate"] == 1 / 2


def test_summary_outsider_sees_nothing(data, outsider) -> None:
    figures = _april(outsider)
    assert figures["visits_due"] == 0
    assert figures["on_time_rate"] is None


def test_summary_filters_department_and_manager(data, quality, outsider_pm) -> None:
    sales = _april(quality, department="Sales")
    assert (sales["visits_due"], sales["visits_done_on_time"], sales["coverage_rate"]) == (
        2,
        1,
        1.0,
    )
    assert _april(quality, manager=outsider_pm)["visits_due"] == 2
    assert _april(quality, manager=outsider_pm.pk)["actions_overdue"] == 1


def test_summary_filters_project_customer_phase(data, quality) -> None:
    assert _april(quality, project=data.a)["visits_due"] == 3
    assert _april(quality, customer=data.b.customer)["visits_due"] == 2
    kickoff = _april(quality, phase="kickoff")
    assert kickoff["visits_due"] == 1
    assert kickoff["coverage_rate"] == 1 / 3  # A visited at kickoff in April
    assert kickoff["record_completeness"] == 1.0
    assert kickoff["actions_created"] == 1  # a1, raised in the kickoff record
    assert kickoff["csat"] == 100.0


def test_summary_fixed_query_count(data, quality, django_assert_num_queries) -> None:
    # Eleven grouped queries count every month of the period at once, one reads the
    # projects active in it; on PostgreSQL the counts' planner setting takes a
    # savepoint, a SET LOCAL, a reset and a release.
    expected = 12 + (4 if connection.vendor == "postgresql" else 0)
    with django_assert_num_queries(expected):
        _april(quality)
    with django_assert_num_queries(expected):
        summary(user=quality, date_from=D(2025, 1, 1), date_to=TODAY, today=TODAY)


@pytest.mark.parametrize("who", ["quality", "owner", "colleague", "outsider_pm"])
def test_dashboard_coverage_matches_the_summary_month_by_month(data, request, who) -> None:
    import datetime

    from huifang.insights.queries import dashboard

    user = request.getfixturevalue(who)
    months = [datetime.date(2026, m, 1) for m in range(1, 7)]
    ends = [datetime.date(2026, m + 1, 1) - datetime.timedelta(days=1) for m in range(1, 7)]
    series = dashboard(user=user, date_from=months[0], date_to=ends[-1], today=TODAY)["months"]

    assert [month["coverage_rate"] for month in series] == [
        summary(user=user, date_from=month, date_to=end, today=TODAY)["coverage_rate"]
        for month, end in zip(months, ends, strict=True)
    ]
