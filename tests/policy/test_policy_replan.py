"""Publishing a policy revision re-plans the projects that follow the policy.

What a user would notice: the plans end exactly as planning each project on its own
under the new version would leave them, the summary on the page counts what changed,
other policies' and cancelled projects are left alone, and publishing stays quick
however many projects follow the policy (its queries grow with chunks of projects,
never with the projects).
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from huifang.core.models import User
from huifang.policy.models import Policy, PolicyVersion
from huifang.policy.services import (
    ReplanSummary,
    create_policy_draft,
    publish_policy_revision,
    publish_policy_version,
)
from huifang.projects.services import cancel_project
from huifang.visits.models import Visit, VisitStatus
from huifang.visits.planning import plan_project_visits
from tests.visits.planned_projects import (
    TODAY,
    count_queries,
    make_projects,
    publish_weekends_policy,
    stored_visits,
    stray_from_the_plan,
)

pytestmark = pytest.mark.django_db


def revision(policy: Policy, *, phase: str, window_days: int) -> PolicyVersion:
    """A draft of the policy's latest version with one visit's window changed."""
    latest = policy.versions.order_by("-number").first()
    draft = create_policy_draft(policy=policy, based_on=latest)
    draft.rules.filter(phase=phase).update(window_days=window_days)
    return draft


def publish(draft: PolicyVersion, *, effective_from: datetime.date = TODAY) -> ReplanSummary:
    _, summary = publish_policy_revision(
        version=draft,
        effective_from=effective_from,
        change_note="Another window",
        published_by=None,
        today=TODAY,
    )
    return summary


def test_publishing_leaves_what_planning_each_project_alone_would(
    policy: Policy, owner: User
) -> None:
    projects = make_projects(9, policy=policy, owner=owner)
    stray_from_the_plan(projects)
    cancel_project(project=projects[3], today=TODAY)
    others = make_projects(3, policy=publish_weekends_policy(), owner=owner, first=9)
    stray_from_the_plan(others)
    # A longer kickoff window moves every visit anchored on the kickoff's due date.
    draft = revision(policy, phase="kickoff", window_days=12)
    before = stored_visits()

    with transaction.atomic():
        summary = publish(draft)
        after_publishing = stored_visits()
        transaction.set_rollback(True)
    assert stored_visits() == before

    publish_policy_version(
        version=draft, effective_from=TODAY, published_by=None, change_note="Another window"
    )
    open_projects = projects[:3] + projects[4:]
    results = [plan_project_visits(project=project, today=TODAY) for project in open_projects]
    assert stored_visits() == after_publishing
    assert summary.projects == 8  # neither the cancelled one nor the other policy's
    assert not summary.deferred
    assert [visit.pk for visit in summary.result.moved] == [
        visit.pk for result in results for visit in result.moved
    ]
    assert len(summary.result.created) == sum(len(result.created) for result in results)
    assert summary.result.removed == sum(result.removed for result in results)
    assert summary.result.cancelled == 0
    assert min(len(summary.result.moved), len(summary.result.created)) >= 8
    # The other policy's strayed visits are still strayed: its projects were not planned.
    assert all(plan_project_visits(project=other, today=TODAY).changed for other in others)


def test_publishing_for_a_later_date_only_counts_the_projects(policy: Policy, owner: User) -> None:
    projects = make_projects(4, policy=policy, owner=owner)
    cancel_project(project=projects[0], today=TODAY)
    before = stored_visits()
    summary = publish(
        revision(policy, phase="kickoff", window_days=12),
        effective_from=TODAY + datetime.timedelta(days=30),
    )
    assert (summary.deferred, summary.projects, summary.result.changed) == (True, 3, False)
    assert stored_visits() == before


def test_publishing_costs_the_same_queries_for_5_or_25_projects(
    policy: Policy, owner: User
) -> None:
    make_projects(5, policy=policy, owner=owner)
    summaries: list[ReplanSummary] = []
    # A longer closing window changes the closing visits' dates and nothing else: no
    # visit is added or removed (a removal costs a query of its own, for the visit's
    # history row); every planned visit moves to the new version.
    five = count_queries(
        lambda: summaries.append(publish(revision(policy, phase="closing", window_days=10)))
    )
    make_projects(20, policy=policy, owner=owner, first=5)
    twenty_five = count_queries(
        lambda: summaries.append(publish(revision(policy, phase="closing", window_days=14)))
    )

    planned = Visit.objects.filter(status=VisitStatus.PLANNED).count()
    assert [s.projects for s in summaries] == [5, 25]
    # Only the closing visits' dates change; every other planned visit is restamped.
    moved = [len(s.result.moved) for s in summaries]
    assert 0 < moved[1] < planned
    assert moved[1] + summaries[1].result.restamped == planned > 5 * moved[0] / 2
    assert all(not s.result.created and not s.result.removed for s in summaries)
    assert twenty_five == five
