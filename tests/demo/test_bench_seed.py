"""The benchmark data generator at small scale: exact counts, realistic shape, and
visits that are exactly what the schedule engine plans (re-planning changes nothing)."""

from __future__ import annotations

import datetime
import io
from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from huifang.actions.models import ActionVerification, ImprovementAction
from huifang.core.models import Role, User
from huifang.customers.models import Customer
from huifang.demo.bench_seed import SCALES, Progress, SeedSummary, seed_bench_data
from huifang.demo.views_bench import ceiling
from huifang.projects.models import Project
from huifang.visits.models import Feedback, Problem, Visit, VisitRecord
from huifang.visits.planning import plan_all_projects

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)


@pytest.fixture
def seeded(db: None) -> SeedSummary:
    return seed_bench_data("small", today=TODAY, progress=Progress(io.StringIO()))


def test_seed_small_builds_one_fiftieth_of_enterprise(seeded: SeedSummary) -> None:
    small = SCALES["small"]
    assert (small.customers, small.projects, small.problems) == (40, 200, 2000)
    assert Customer.objects.count() == 40
    assert Project.objects.count() == 200
    assert Problem.objects.count() == 2000
    assert Feedback.objects.count() == 3000
    assert ImprovementAction.objects.count() == 2000
    assert abs(Visit.objects.count() - 5000) <= 50
    assert seeded.counts["visits"] == Visit.objects.count()


def test_seed_small_has_a_user_of_every_role_with_the_demo_password(seeded: SeedSummary) -> None:
    roles = Counter(User.objects.values_list("role", flat=True))
    assert set(roles) == {
        Role.ADMIN,
        Role.QUALITY,
        Role.PROJECT_MANAGER,
        Role.MEMBER,
        Role.EXECUTIVE,
    }
    pm = User.objects.get(username="bench-pm-1")
    assert pm.check_password("huifang-demo") is True
    assert User.objects.filter(username="bench-member-2").exists() is True


def test_seed_small_shapes_look_like_years_of_real_work(seeded: SeedSummary) -> None:
    visits = Counter(Visit.objects.values_list("status", flat=True))
    total = sum(visits.values())
    assert visits["done"] / total > 0.6
    assert 0.03 < visits["missed"] / total < 0.15
    assert min(visits["planned"], visits["scheduled"], visits["cancelled"]) > 0
    done = Visit.objects.filter(status="done")
    late = sum(
        1
        for v in done.only("completed_on", "due_date")
        if v.completed_on and v.completed_on > v.due_date
    )
    assert 0.05 < late / done.count() < 0.3
    assert VisitRecord.objects.filter(status="submitted").count() == visits["done"]
    oldest = Visit.objects.order_by("due_date").first()
    assert oldest is not None
    assert (TODAY - oldest.due_date).days > 2 * 365
    scores = Counter(Feedback.objects.values_list("overall_satisfaction", flat=True))
    assert (scores[4] + scores[5]) / sum(scores.values()) > 0.7
    projects = Counter(Project.objects.values_list("status", flat=True))
    assert set(projects) >= {"active", "completed", "on_hold", "cancelled"}
    actions = Counter(ImprovementAction.objects.values_list("status", flat=True))
    assert set(actions) == {"open", "in_progress", "done", "verified_effective", "reopened"}
    assert ActionVerification.objects.count() == actions["verified_effective"] + actions["reopened"]


def test_seed_small_visits_are_what_planning_would_make(seeded: SeedSummary) -> None:
    totals = plan_all_projects(today=TODAY)
    assert (totals["created"], totals["moved"], totals["removed"], totals["cancelled"]) == (
        0,
        0,
        0,
        0,
    )


def test_bench_seed_command_refuses_a_database_with_data(seeded: SeedSummary) -> None:
    with pytest.raises(CommandError):
        call_command("bench", "seed", "--scale", "small", stdout=io.StringIO())


def test_bench_seed_command_with_reset_rebuilds_the_same_counts(seeded: SeedSummary) -> None:
    out = io.StringIO()
    call_command("bench", "seed", "--scale", "small", "--reset", stdout=out)
    assert Project.objects.count() == 200
    assert User.objects.filter(username__startswith="bench-").count() == seeded.counts["users"]
    assert out.getvalue().startswith("Bench data (small) built in ")


def test_ceiling_view_needs_login_and_returns_a_constant(rf: RequestFactory) -> None:
    request = rf.get("/bench/ceiling")
    request.user = AnonymousUser()
    assert ceiling(request).status_code == 302
    request.user = User.objects.create(username="reader", role=Role.EXECUTIVE)
    response = ceiling(request)
    assert (response.status_code, response.content) == (200, b"ok")
