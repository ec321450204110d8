"""``huifang demo``: the demo company is complete, idempotent and rebuildable.

It runs against today's real date on purpose: the demo promises overdue and due-soon
visits whenever it is built, so the test checks that promise on the day it runs.
"""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import translation

from huifang.actions.models import ActionStatus, ActionVerification, ImprovementAction
from huifang.core.demo import DEMO_USERNAMES
from huifang.core.models import User
from huifang.customers.models import Contact, Customer
from huifang.projects.models import Project, ProjectStatusChoices
from huifang.visits.models import Feedback, Problem, Visit, VisitRecord, VisitStatus
from huifang.visits.queries import home_visits
from tests.factories import CustomerFactory

LOGINS = "Log in at http://127.0.0.1:8000/ as admin, quality, pm1, pm2, member1, member2, exec"


def _demo(*args: str) -> list[str]:
    out = StringIO()
    with translation.override("en"):
        call_command("demo", *args, stdout=out)
    return out.getvalue().splitlines()


def _snapshot() -> dict[str, Any]:
    return {
        "users": sorted(User.objects.values_list("username", flat=True)),
        "customers": Customer.objects.count(),
        "contacts": Contact.objects.count(),
        "projects": Counter(Project.objects.values_list("status", flat=True)),
        "visits": Counter(Visit.objects.values_list("status", flat=True)),
        "records": Counter(VisitRecord.objects.values_list("status", flat=True)),
        "problems": Problem.objects.count(),
        "feedback": Feedback.objects.count(),
        "actions": Counter(ImprovementAction.objects.values_list("status", flat=True)),
        "verifications": Counter(ActionVerification.objects.values_list("result", flat=True)),
    }


@pytest.fixture
def demo_output(db: None) -> list[str]:
    return _demo()


def test_demo_builds_a_company_in_every_state(db: None) -> None:
    # (How long it takes is not asserted here: a busy machine made that fail at random;
    # speed is measured by the benchmarks.)
    output = _demo()
    assert output[-1] == f"{LOGINS} — password: huifang-demo"
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(DEMO_USERNAMES)
    assert Customer.objects.count() == 6
    assert Project.objects.count() == 15
    assert set(Project.objects.values_list("status", flat=True)) == set(ProjectStatusChoices.values)
    assert set(Project.objects.values_list("cadence", flat=True)) == {"biweekly", "monthly"}
    assert Counter(Project.objects.values_list("manager__username", flat=True)) == {
        "pm1": 8,
        "pm2": 7,
    }
    assert set(ImprovementAction.objects.values_list("status", flat=True)) == set(
        ActionStatus.values
    )


def test_demo_visits_include_late_missed_and_recorded_ones(demo_output: list[str]) -> None:
    done = list(Visit.objects.filter(status=VisitStatus.DONE))

    assert {visit.on_time for visit in done} == {True, False}
    assert Visit.objects.filter(status=VisitStatus.MISSED).exists()
    # Every done visit has its submitted record, and only those do.
    assert sorted(VisitRecord.objects.values_list("visit_id", "status")) == sorted(
        (visit.pk, "submitted") for visit in done
    )
    satisfaction = set(Feedback.objects.values_list("overall_satisfaction", flat=True))
    assert {3, 4, 5} <= satisfaction


def test_demo_home_page_has_overdue_and_due_soon_visits(demo_output: list[str]) -> None:
    found = {}
    for username in ("pm1", "member1", "pm2", "member2"):
        home = home_visits(user=User.objects.get(username=username))
        found[username] = (len(home["overdue"]) >= 1, len(home["due_soon"]) >= 1)

    assert found == dict.fromkeys(("pm1", "member1", "pm2", "member2"), (True, True))


def test_demo_members_own_some_of_their_open_visits(demo_output: list[str]) -> None:
    for username in ("member1", "member2"):
        member = User.objects.get(username=username)
        home = home_visits(user=member)
        owners = {visit.owner for visit, _ in home["overdue"]} | {
            visit.owner for visit in home["due_soon"]
        }
        assert member in owners


def test_demo_users_log_in_with_the_demo_password(demo_output: list[str]) -> None:
    admin = authenticate(username="admin", password="huifang-demo")

    assert isinstance(admin, User)
    assert (admin.role, admin.is_staff, admin.is_superuser) == ("admin", True, True)
    assert authenticate(username="member1", password="huifang-demo") is not None
    assert User.objects.get(username="pm1").display_name == "王磊"


def test_demo_customers_have_one_primary_contact_each(demo_output: list[str]) -> None:
    primaries = Counter(Contact.objects.filter(is_primary=True).values_list("customer", flat=True))

    assert sorted(primaries.values()) == [1] * 6
    assert set(Contact.objects.values_list("language", flat=True)) == {"zh-hans", "en"}


def test_demo_second_run_without_reset_changes_nothing(demo_output: list[str]) -> None:
    before = _snapshot()

    output = _demo()

    assert _snapshot() == before
    assert output[0] == "Demo data already exists; nothing changed. Use --reset to rebuild it."


def test_demo_reset_rebuilds_the_same_company(demo_output: list[str], settings: Any) -> None:
    before = _snapshot()
    settings.HUIFANG_DEMO_PASSWORD = "a-local-secret"

    output = _demo("--reset")

    assert _snapshot() == before
    assert output[-1] == f"{LOGINS} — password: $HUIFANG_DEMO_PASSWORD"
    assert authenticate(username="pm1", password="a-local-secret") is not None


def test_demo_reset_keeps_other_users(demo_output: list[str]) -> None:
    User.objects.create_user(username="operator", password="operator-password-1")

    _demo("--reset")

    assert User.objects.filter(username="operator").exists()
    assert User.objects.count() == 8


def test_demo_refuses_to_mix_into_existing_data(db: None) -> None:
    CustomerFactory.create(name="A real customer")

    _demo()

    assert (User.objects.count(), Project.objects.count(), Customer.objects.count()) == (0, 0, 1)
