"""``huifang demo``: the demo company is complete, idempotent and rebuildable.

It runs against today's real date on purpose: the demo promises overdue and due-soon
visits whenever it is built, so the test checks that promise on the day it runs.
"""

from __future__ import annotations

import datetime
from collections import Counter
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import DateTimeField, Max
from django.utils import timezone, translation
from simple_history.models import HistoricalChanges

from huifang.actions.models import ActionStatus, ActionVerification, ImprovementAction
from huifang.core.models import User
from huifang.customers.models import Contact, Customer
from huifang.demo.builder import DEMO_USERNAMES, build_demo
from huifang.insights.models import Review
from huifang.insights.queries import dashboard
from huifang.projects.models import Project, ProjectStatusChoices
from huifang.surveys.models import InvitationState, SurveyInvitation
from huifang.visits.models import (
    Feedback,
    FeedbackSource,
    Problem,
    Visit,
    VisitRecord,
    VisitStatus,
)
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


# --- A year of history --------------------------------------------------------------
# The services stamp what they write with timezone.now(); the demo tells each event
# under a clock set to when it happened, so the figures that read those stamps (the
# dashboard's months, the ageing of actions, a review's new actions) look like a year.


def _months(values: Any) -> set[str]:
    return {f"{timezone.localtime(value):%Y-%m}" for value in values if value is not None}


def _last_twelve_months(today: datetime.date) -> set[str]:
    months, month = set(), today.replace(day=1)
    for _ in range(12):
        months.add(f"{month:%Y-%m}")
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


def test_demo_records_and_actions_happen_across_the_past_year(demo_output: list[str]) -> None:
    year = _last_twelve_months(timezone.localdate())
    submitted = _months(VisitRecord.objects.values_list("submitted_at", flat=True))
    created = _months(ImprovementAction.objects.values_list("created_at", flat=True))
    closed = {
        f"{day:%Y-%m}"
        for day in ImprovementAction.objects.filter(status=ActionStatus.VERIFIED_EFFECTIVE)
        .exclude(closed_on=None)
        .values_list("closed_on", flat=True)
    }

    assert len(submitted & year) >= 10
    assert submitted <= year
    assert len(created & year) >= 8
    assert len(closed & year) >= 6
    # A record is submitted on the day its visit was completed, not on the demo's day.
    for record in VisitRecord.objects.select_related("visit"):
        assert timezone.localdate(record.submitted_at) == record.visit.completed_on
    # Actions are raised on the day of their record's visit.
    raised = ImprovementAction.objects.exclude(record=None).values_list(
        "created_at", "record__visit__completed_on"
    )
    assert raised
    for created_at, completed_on in raised:
        assert timezone.localdate(created_at) == completed_on


def test_demo_surveys_are_sent_opened_and_answered_over_the_year(
    demo_output: list[str],
) -> None:
    invitations = list(SurveyInvitation.objects.select_related("visit"))
    answered = [i for i in invitations if i.responded_at is not None]
    states = Counter(i.state() for i in invitations)

    assert {i.visit.phase for i in invitations} >= {"ongoing", "closing"}
    assert len(_months(i.sent_at for i in invitations)) >= 6
    assert len(_months(i.responded_at for i in answered)) >= 5
    assert states[InvitationState.ANSWERED] >= 10
    assert states[InvitationState.EXPIRED] >= 2  # never answered, the link ran out
    assert states[InvitationState.SENT] + states[InvitationState.OPENED] >= 1  # still open
    timings = [
        (i.sent_at, i.opened_at, i.responded_at, i.expires_at)
        for i in answered
        if i.sent_at is not None and i.opened_at is not None and i.responded_at is not None
    ]
    assert len(timings) == len(answered)  # every answer was opened (and sent) first
    for sent, opened, responded, expires in timings:
        assert sent < opened <= responded < expires
    # Customers answer days later, not all in the minute the survey was sent.
    assert max((responded - sent).days for sent, _, responded, _ in timings) >= 3
    received = Feedback.objects.filter(source=FeedbackSource.SURVEY)
    assert sorted(received.values_list("received_on", flat=True)) == sorted(
        timezone.localdate(responded) for _, _, responded, _ in timings
    )
    assert received.filter(likelihood_to_recommend__lte=6).count() == 1  # the detractor
    # Unanswered customers are reminded once, on the day the policy says.
    reminded = [i for i in invitations if i.reminded_at is not None]
    assert reminded
    for invitation in reminded:
        assert invitation.responded_at is None
        assert invitation.sent_at is not None
        assert timezone.localdate(invitation.reminded_at) == timezone.localdate(
            invitation.sent_at
        ) + datetime.timedelta(days=invitation.reminder_days)


def test_demo_dashboard_and_review_show_a_year_of_figures(demo_output: list[str]) -> None:
    today = timezone.localdate()
    quality = User.objects.get(username="quality")
    first = (today.replace(day=1) - datetime.timedelta(days=320)).replace(day=1)
    board = dashboard(user=quality, date_from=first, date_to=today, today=today)
    months = board["months"]

    assert len(months) == 12
    assert sum(month["csat"] is not None for month in months) >= 8
    assert sum(month["on_time_rate"] is not None for month in months) >= 10
    # Open actions have different ages: not all raised today.
    ageing = {row["bucket"]: row["count"] for row in board["ageing"]}
    assert set(ageing) == {"0-7", "8-30", "31-90", "90+"}
    assert sum(count >= 1 for count in ageing.values()) >= 3
    # The quarterly review counts the actions raised in its quarter, not none of them
    # (they would all have been raised today, after the quarter ended).
    review = Review.objects.get()
    in_quarter = ImprovementAction.objects.filter(
        created_at__date__range=(review.period_start, review.period_end)
    ).count()
    assert review.metrics["actions_created"] == in_quarter
    assert 0 < in_quarter < ImprovementAction.objects.count()


def _history_counts() -> dict[str, Counter[str]]:
    """How many rows of each kind (+ created, ~ changed, - deleted) each history holds."""
    return {
        model.__name__: Counter(model._default_manager.values_list("history_type", flat=True))
        for model in apps.get_models()
        if model.__module__.startswith("huifang.") and issubclass(model, HistoricalChanges)
    }


# Stamps that look ahead on purpose: appointments, link expiry, retry times.
FORWARD_FIELDS = {"scheduled_at", "expires_at", "next_attempt_at"}


def test_demo_dates_nothing_in_the_future_and_leaves_the_clock_real(db: None) -> None:
    _demo()
    history = _history_counts()
    _demo("--reset")  # a rebuild keeps no trace of the data it replaced
    now = timezone.now()
    latest: dict[str, datetime.datetime] = {}
    history_days: set[datetime.date] = set()

    for model in apps.get_models():
        if not model.__module__.startswith("huifang."):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, DateTimeField) and field.name not in FORWARD_FIELDS:
                value = model._default_manager.aggregate(latest=Max(field.name))["latest"]
                if value is not None:
                    latest[f"{model.__name__}.{field.name}"] = value
        if issubclass(model, HistoricalChanges):
            history_days |= {
                timezone.localdate(value)
                for value in model._default_manager.values_list("history_date", flat=True)
            }

    assert {name: value for name, value in latest.items() if value > now} == {}
    assert _history_counts() == history
    assert len(history_days) >= 100
    # After the demo the clock is the real one again.
    assert timezone.now.__module__ == "django.utils.timezone"
    assert abs(timezone.now() - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(seconds=5)


@pytest.mark.parametrize("local_time", [datetime.time(0, 5), datetime.time(23, 55)])
def test_demo_built_at_any_hour_dates_events_on_their_own_day(
    db: None, local_time: datetime.time
) -> None:
    # Just after midnight "today at nine" has not happened yet: the clock holds it at
    # now rather than dating it ahead; just before midnight nothing spills into
    # tomorrow.
    zone = timezone.get_current_timezone()
    moment = datetime.datetime.combine(datetime.date(2026, 6, 15), local_time, tzinfo=zone)
    with time_machine.travel(moment, tick=True):
        build_demo()
        now = timezone.now()
        submitted = list(
            VisitRecord.objects.values_list("submitted_at", "visit__completed_on").order_by("pk")
        )

    assert submitted
    for submitted_at, completed_on in submitted:
        assert submitted_at is not None
        assert submitted_at <= now
        assert timezone.localdate(submitted_at, zone) == completed_on
    assert not ImprovementAction.objects.filter(created_at__gt=now).exists()
    assert not SurveyInvitation.objects.filter(sent_at__gt=now).exists()
