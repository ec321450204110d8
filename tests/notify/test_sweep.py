"""The sweep: every reminder and escalation on the right day, in the organisation's
time zone, once."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from huifang.actions.services import create_action
from huifang.core.models import Role, User
from huifang.notify.models import EndpointKind, Kind, Notification, WebhookEndpoint
from huifang.notify.sweep import run_sweep
from huifang.projects.models import Project
from huifang.visits.lifecycle import cancel_visit
from huifang.visits.models import Visit, VisitStatus
from tests.factories import UserFactory
from tests.notify.conftest import local

ZONES = ["Asia/Shanghai", "America/New_York"]


def _kinds_for(visit: Visit) -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(subject_id=visit.pk, subject_type__model="visit").values_list(
            "kind", "recipient__username"
        )
    )


def _sweep_on(day: str, tz: str) -> None:
    with time_machine.travel(local(day, tz), tick=False):
        run_sweep()


@pytest.fixture(params=ZONES)
def zone(request: pytest.FixtureRequest, settings: object) -> str:
    settings.TIME_ZONE = request.param  # type: ignore[attr-defined]
    return request.param


# (day, kind expected to be new that day, recipients) for the kickoff visit due 03-09
# under the default policy: lead 3, escalate to PM after 3, to quality after 7,
# missed after 14 days overdue.
LADDER = [
    ("2026-03-05", None, []),
    ("2026-03-06", Kind.VISIT_UPCOMING, ["colleague"]),
    ("2026-03-09", Kind.VISIT_DUE_TODAY, ["colleague"]),
    ("2026-03-10", Kind.VISIT_OVERDUE, ["colleague"]),
    ("2026-03-11", None, []),
    ("2026-03-12", Kind.VISIT_ESCALATED_PM, ["owner"]),
    ("2026-03-15", None, []),
    ("2026-03-16", Kind.VISIT_ESCALATED_QUALITY, ["quality"]),
    ("2026-03-23", None, []),
    ("2026-03-24", Kind.VISIT_MISSED, ["colleague", "owner"]),
]


def test_visit_ladder_fires_each_step_on_its_day(zone: str, kickoff: Visit, quality: User) -> None:
    seen: set[tuple[str, str]] = set()
    for day, kind, recipients in LADDER:
        _sweep_on(day, zone)
        now = {item for item in _kinds_for(kickoff) if item[0] != Kind.VISIT_WINDOW_OPEN}
        new = sorted(now - seen)
        expected = sorted((kind, name) for name in recipients) if kind else []
        assert (day, new) == (day, expected)
        seen = now
    kickoff.refresh_from_db()
    assert kickoff.status == VisitStatus.MISSED


def test_reminder_follows_the_organisation_date_not_utc(settings: object, kickoff: Visit) -> None:
    # 2026-03-05 17:00 UTC is already 03-06 in Shanghai but still 03-05 in New York.
    instant = datetime.datetime(2026, 3, 5, 17, 0, tzinfo=datetime.UTC)
    settings.TIME_ZONE = "America/New_York"  # type: ignore[attr-defined]
    with time_machine.travel(instant, tick=False):
        run_sweep()
    assert Notification.objects.filter(kind=Kind.VISIT_UPCOMING).count() == 0
    settings.TIME_ZONE = "Asia/Shanghai"  # type: ignore[attr-defined]
    with time_machine.travel(instant, tick=False):
        run_sweep()
    assert Notification.objects.filter(kind=Kind.VISIT_UPCOMING).count() == 1


def test_window_open_nudges_manager_until_scheduled(zone: str, kickoff: Visit) -> None:
    _sweep_on("2026-03-01", zone)
    assert _kinds_for(kickoff) == []
    _sweep_on("2026-03-02", zone)
    assert _kinds_for(kickoff) == [(Kind.VISIT_WINDOW_OPEN, "owner")]


def test_scheduled_visit_gets_no_window_nudge(zone: str, kickoff: Visit) -> None:
    Visit.objects.filter(pk=kickoff.pk).update(status=VisitStatus.SCHEDULED)
    _sweep_on("2026-03-02", zone)
    assert _kinds_for(kickoff) == []


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_closed_visit_gets_no_reminders(
    zone: str, kickoff: Visit, quality: User, status: str
) -> None:
    if status == "cancelled":
        cancel_visit(visit=kickoff, reason="Customer postponed")
    else:
        Visit.objects.filter(pk=kickoff.pk).update(
            status=VisitStatus.DONE, completed_on=datetime.date(2026, 3, 4)
        )
    for day, _kind, _recipients in LADDER:
        _sweep_on(day, zone)
    assert _kinds_for(kickoff) == []
    kickoff.refresh_from_db()
    assert kickoff.status == status


def test_sweep_twice_creates_nothing_twice(kickoff: Visit, quality: User) -> None:
    with time_machine.travel(local("2026-03-20"), tick=False):
        first = run_sweep()
        count = Notification.objects.count()
        second = run_sweep()
    assert first.sent > 0
    assert (second.sent, Notification.objects.count()) == (0, count)


def test_action_owner_reminded_before_and_after_due(
    zone: str, project: Project, owner: User, colleague: User
) -> None:
    action = create_action(
        project=project,
        description="Send the revised plan",
        owner=colleague,
        due_date=datetime.date(2026, 3, 20),
        created_by=owner,
    )

    def kinds() -> list[str]:
        return sorted(
            Notification.objects.filter(
                subject_id=action.pk, subject_type__model="improvementaction"
            ).values_list("kind", flat=True)
        )

    _sweep_on("2026-03-16", zone)
    assert kinds() == []
    _sweep_on("2026-03-17", zone)
    assert kinds() == [Kind.ACTION_DUE_SOON]
    _sweep_on("2026-03-20", zone)
    assert kinds() == [Kind.ACTION_DUE_SOON]
    _sweep_on("2026-03-21", zone)
    assert kinds() == [Kind.ACTION_DUE_SOON, Kind.ACTION_OVERDUE]


def test_weekly_digest_once_per_week_per_manager(project: Project, owner: User) -> None:
    for day in ["2026-03-02", "2026-03-04", "2026-03-08"]:  # Monday .. Sunday
        _sweep_on(day, "Asia/Shanghai")
    assert Notification.objects.filter(kind=Kind.WEEKLY_DIGEST).count() == 1
    _sweep_on("2026-03-09", "Asia/Shanghai")  # the next Monday
    digests = Notification.objects.filter(kind=Kind.WEEKLY_DIGEST, recipient=owner)
    assert digests.count() == 2


def test_project_past_planned_end_warns_manager(zone: str, project: Project) -> None:
    _sweep_on("2026-08-31", zone)
    assert Notification.objects.filter(kind=Kind.PROJECT_PAST_END).count() == 0
    _sweep_on("2026-09-01", zone)
    warnings = Notification.objects.filter(kind=Kind.PROJECT_PAST_END)
    assert list(warnings.values_list("recipient__username", flat=True)) == ["owner"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_create_each_notification_once(kickoff: Visit, quality: User) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sweep() -> None:
        try:
            barrier.wait()
            run_sweep(today=datetime.date(2026, 3, 20))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    with time_machine.travel(local("2026-03-20"), tick=True):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    keys = list(Notification.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
    assert sorted(k for k, _ in _kinds_for(kickoff)) == sorted(
        [
            Kind.VISIT_ESCALATED_PM,
            Kind.VISIT_ESCALATED_QUALITY,
            Kind.VISIT_OVERDUE,
        ]
    )


def _add_due_work(project: Project, colleague: User, tag: str, count: int) -> None:
    """``count`` more projects, each with its own manager, past its planned end, with a
    visit 8 days overdue (escalated to quality, not yet missed) and an overdue action
    as of 2026-03-20."""
    for index in range(count):
        manager = UserFactory.create(username=f"pm-{tag}{index}", role=Role.PROJECT_MANAGER)
        other = Project.objects.create(
            code=f"Q-{tag}{index}",
            name=f"Project {tag}{index}",
            customer=project.customer,
            manager=manager,
            policy=project.policy,
            status="active",
            planned_start=datetime.date(2026, 3, 2),
            planned_end=datetime.date(2026, 3, 15),
        )
        Visit.objects.create(
            project=other,
            phase="ongoing",
            is_adhoc=True,
            window_start=datetime.date(2026, 3, 5),
            due_date=datetime.date(2026, 3, 12),
            owner=colleague,
        )
        create_action(
            project=other,
            description=f"Fix {tag}{index}",
            owner=manager,
            due_date=datetime.date(2026, 3, 10),
            created_by=manager,
        )


def test_sweep_queries_do_not_grow_with_the_work_due(
    project: Project, colleague: User, quality: User
) -> None:
    WebhookEndpoint.objects.create(
        name="all", kind=EndpointKind.GENERIC, url="http://127.0.0.1:9/all"
    )

    def sweep() -> tuple[list[str], int, int]:
        """The statements other than INSERTs, the INSERTs, and what was created."""
        Notification.objects.all().delete()  # each sweep does its full work
        with CaptureQueriesContext(connection) as captured:
            report = run_sweep(today=datetime.date(2026, 3, 20))
        statements = [query["sql"] for query in captured.captured_queries]
        # SQLite splits a bulk INSERT at its limit of bound parameters; PostgreSQL does
        # not: there the totals are equal too.
        others = [sql.split()[0] for sql in statements if not sql.startswith("INSERT")]
        return others, len(statements) - len(others), report.sent

    _add_due_work(project, colleague, "a", 3)
    sweep()  # content types are read once per process
    few, few_inserts, sent_few = sweep()
    _add_due_work(project, colleague, "b", 27)
    many, many_inserts, sent_many = sweep()

    # Per extra project: overdue, escalations to its manager and to quality, the
    # action, the past-end warning and its manager's digest.
    assert sent_many - sent_few == 27 * 6
    assert many == few
    # The notifications, their deliveries, and the sweep's own run record.
    assert few_inserts == 3
    assert many_inserts <= (3 if connection.vendor == "postgresql" else 21)


def test_weekly_digest_counts_each_managers_own_work(
    project: Project, owner: User, colleague: User
) -> None:
    owner.language = "en"
    owner.save(update_fields=["language"])
    _add_due_work(project, colleague, "x", 2)  # other managers' work is not counted
    create_action(
        project=project,
        description="Send the plan",
        owner=colleague,
        due_date=datetime.date(2026, 3, 6),
        created_by=owner,
    )
    create_action(
        project=project,
        description="Call back",
        owner=colleague,
        due_date=datetime.date(2026, 3, 30),
        created_by=owner,
    )
    # Monday 2026-03-16: the kickoff visit (due 03-09) is overdue; the March ongoing
    # visit falls due within the week.
    run_sweep(today=datetime.date(2026, 3, 16))

    visits = Visit.objects.filter(project=project, status=VisitStatus.PLANNED)
    today, week = datetime.date(2026, 3, 16), datetime.date(2026, 3, 23)
    expected = [
        f"Visits due in the next 7 days: {visits.filter(due_date__range=(today, week)).count()}",
        f"Overdue visits: {visits.filter(due_date__lt=today).count()}",
        "Visits to schedule: "
        + str(visits.filter(window_start__lte=today, due_date__gte=today).count()),
        "Open actions: 2",
        "Overdue actions: 1",
    ]
    digest = Notification.objects.get(kind=Kind.WEEKLY_DIGEST, recipient=owner)
    assert digest.body.splitlines() == expected
    assert "Overdue visits: 1" in expected
