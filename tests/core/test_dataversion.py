"""The data version moves after every committed write to our tables, and figures
cached under it are recomputed as soon as the data they were computed from changes."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huifang.actions.services import create_action
from huifang.core import dataversion
from huifang.core.backup import backup_database, restore_database
from huifang.customers.models import Customer
from huifang.insights.metrics import summary
from huifang.visits.models import Visit
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MARCH_FROM, MARCH_TO = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)


def test_a_committed_save_moves_the_version_once() -> None:
    before = dataversion.current()
    with transaction.atomic():
        for number in range(3):
            CustomerFactory.create(name=f"Customer {number}")
        assert dataversion.current() == before  # not before the commit
    assert dataversion.current() == before + 1


def test_a_rolled_back_write_moves_nothing() -> None:
    before = dataversion.current()

    def write_then_fail() -> None:
        with transaction.atomic():
            CustomerFactory.create()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert dataversion.current() == before


def test_bulk_and_queryset_writes_move_it_too() -> None:
    customer = CustomerFactory.create()
    before = dataversion.current()
    Customer.objects.filter(pk=customer.pk).update(name="Renamed")
    Customer.objects.bulk_create([Customer(name="Bulk 1"), Customer(name="Bulk 2")])
    Customer.objects.filter(name__startswith="Bulk").delete()
    assert dataversion.current() == before + 3


def test_sessions_and_other_tables_do_not_move_it() -> None:
    before = dataversion.current()
    session = SessionStore()
    session["seen"] = True
    session.save()
    assert dataversion.current() == before


def test_cached_value_is_kept_until_the_data_changes() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return Customer.objects.count()

    assert dataversion.cached("test.count", ("x",), compute) == 0
    assert dataversion.cached("test.count", ("x",), compute) == 0
    assert len(calls) == 1
    CustomerFactory.create()
    assert dataversion.cached("test.count", ("x",), compute) == 1
    assert len(calls) == 2


def test_own_uncommitted_write_bypasses_the_cache() -> None:
    def compute() -> int:
        return Customer.objects.count()

    assert dataversion.cached("test.count", ("x",), compute) == 0
    with transaction.atomic():
        CustomerFactory.create()
        # Inside the transaction that wrote it, the new row must be counted.
        assert dataversion.cached("test.count", ("x",), compute) == 1


def test_metrics_follow_a_visit_done_right_after_they_were_shown(project, owner) -> None:
    first = summary(
        user=owner, today=datetime.date(2026, 4, 15), date_from=MARCH_FROM, date_to=MARCH_TO
    )
    visit = Visit.objects.filter(project=project, due_date__range=(MARCH_FROM, MARCH_TO)).first()
    assert visit is not None
    assert first["visits_done_on_time"] == 0
    Visit.objects.filter(pk=visit.pk).update(status="done", completed_on=visit.due_date)
    again = summary(
        user=owner, today=datetime.date(2026, 4, 15), date_from=MARCH_FROM, date_to=MARCH_TO
    )
    assert again["visits_done_on_time"] == 1


def test_dashboard_shows_new_data_at_once(project, quality) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(quality)
    url = reverse("insights:dashboard") + "?date_from=2026-03-01&date_to=2026-08-31"
    before = client.get(url).context["data"]["summary"]["visits_due"]
    assert client.get(url).context["data"]["summary"]["visits_due"] == before
    Visit.objects.filter(project=project).update(status="cancelled")
    assert client.get(url).context["data"]["summary"]["visits_due"] == 0
    assert before > 0


def test_home_page_rows_are_kept_until_the_data_changes(project, owner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    first = client.get(reverse("home")).context["overdue_total"]
    with CaptureQueriesContext(connection) as kept:
        assert client.get(reverse("home")).context["overdue_total"] == first
    Visit.objects.filter(project=project).update(status="cancelled")
    with CaptureQueriesContext(connection) as fresh:
        assert client.get(reverse("home")).context["overdue_total"] == 0
    assert first > 0
    assert len(kept) < len(fresh)


def test_list_pages_show_a_change_at_once(project, owner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    url = reverse("visits:list")

    def statuses() -> list[str]:
        return [visit.status for visit, _days in client.get(url).context["rows"]]

    first = statuses()
    with CaptureQueriesContext(connection) as kept:
        assert statuses() == first
    Visit.objects.filter(project=project).update(status="cancelled")
    with CaptureQueriesContext(connection) as fresh:
        assert set(statuses()) == {"cancelled"}
    assert "cancelled" not in first
    assert len(kept) < len(fresh)


def test_list_counts_follow_a_change_at_once(project, owner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    url = reverse("visits:list") + "?status=planned"

    def count() -> int:
        return client.get(url).context["page"].paginator.count

    first = count()
    with CaptureQueriesContext(connection) as kept:
        assert count() == first
    Visit.objects.filter(project=project).update(status="cancelled")
    with CaptureQueriesContext(connection) as fresh:
        assert count() == 0
    assert first > 0
    assert len(kept) < len(fresh)


def test_project_page_shows_a_change_at_once(project, owner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    url = reverse("projects:detail", args=[project.pk])

    def statuses() -> set[str]:
        return {row["visit"].status for row in client.get(url).context["timeline"]}

    first = statuses()
    with CaptureQueriesContext(connection) as kept:
        assert statuses() == first
    Visit.objects.filter(project=project).update(status="cancelled")
    with CaptureQueriesContext(connection) as fresh:
        assert statuses() == {"cancelled"}
    assert "cancelled" not in first
    assert len(kept) < len(fresh)


def test_project_and_visit_pages_show_their_own_change_at_once(project, owner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    visit = Visit.objects.get(project=project, phase="kickoff")
    project_url = reverse("projects:detail", args=[project.pk])
    record_url = reverse("visits:record", args=[visit.pk])
    assert client.get(project_url).context["project"].name == project.name
    assert client.get(record_url).context["visit"].owner == owner
    type(project).objects.filter(pk=project.pk).update(name="ERP rollout, phase 2")
    Visit.objects.filter(pk=visit.pk).update(owner=None)
    assert client.get(project_url).context["project"].name == "ERP rollout, phase 2"
    assert client.get(record_url).context["visit"].owner is None


def test_a_kept_project_or_visit_is_still_refused_to_outsiders(project, owner, outsider) -> None:
    visit = Visit.objects.get(project=project, phase="kickoff")
    urls = [
        reverse("projects:detail", args=[project.pk]),
        reverse("visits:record", args=[visit.pk]),
        reverse("visits:detail", args=[visit.pk]),
    ]
    insider, stranger = Client(), Client()
    insider.force_login(owner)
    stranger.force_login(outsider)
    for url in urls:
        assert insider.get(url).status_code == 200  # now kept under the data version
        assert stranger.get(url).status_code == 404


def test_action_board_shows_a_new_action_at_once(project, owner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    url = reverse("actions:board")

    def open_cards() -> list[str]:
        columns = client.get(url).context["columns"]
        return [action.description for action in columns[0].actions]

    _shows_a_new_action_at_once(project, owner, open_cards)


def test_record_form_offers_a_new_action_for_verification_at_once(project, owner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    visit = Visit.objects.get(project=project, phase="kickoff")
    url = reverse("visits:record", args=[visit.pk])

    def to_verify() -> list[str]:
        return [form.action.description for form in client.get(url).context["verifications"]]

    _shows_a_new_action_at_once(project, owner, to_verify)


def _shows_a_new_action_at_once(project, owner, descriptions: Callable[[], list[str]]) -> None:
    """``descriptions()`` (a page view) shows none, then, right after an action is
    created, that action; the unchanged second view takes fewer queries."""
    assert descriptions() == []
    with CaptureQueriesContext(connection) as kept:
        assert descriptions() == []
    create_action(
        project=project,
        description="Weekly status mail",
        owner=owner,
        due_date=datetime.date(2026, 4, 30),
        created_by=owner,
    )
    with CaptureQueriesContext(connection) as fresh:
        assert descriptions() == ["Weekly status mail"]
    assert len(kept) < len(fresh)


def test_a_new_person_appears_in_the_owner_filter_at_once(project, owner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    url = reverse("actions:board")
    assert "Zhou Xin" not in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as kept:
        client.get(url)
    UserFactory.create(username="zhou", display_name="Zhou Xin")
    with CaptureQueriesContext(connection) as fresh:
        page = client.get(url).content.decode()
    newcomer = UserFactory.create(username="zhou").pk  # (get_or_create: the same person)
    assert f'<option value="{newcomer}">Zhou Xin</option>' in page
    assert len(kept) < len(fresh)


def test_a_request_reads_the_version_once_unless_it_moves_it() -> None:
    from django.core.signals import request_finished, request_started

    request_started.send(sender=None)
    try:
        with CaptureQueriesContext(connection) as reads:
            first = dataversion.current()
            assert dataversion.current() == first
        assert len(reads) == 1
        CustomerFactory.create()  # this request's own write: read again, newer
        assert dataversion.current() > first
    finally:
        request_finished.send(sender=None)
    # Outside a request (a task, a shell) every call reads the database.
    with CaptureQueriesContext(connection) as reads:
        dataversion.current()
        dataversion.current()
    assert len(reads) == 2


def test_restore_jumps_to_an_unused_version(tmp_path) -> None:
    CustomerFactory.create()
    target = tmp_path / "backup.json"
    backup_database(path=target, format="json")
    kept = dataversion.current()
    restore_database(path=target, replace=True)
    assert dataversion.current() not in (kept, 0, 1)


def test_each_transaction_of_a_batched_job_moves_the_version_with_its_commit() -> None:
    """A bulk job killed half-way must leave its committed part visible: the version
    no longer waits for the job's end."""
    before = dataversion.current()
    with dataversion.batched():
        for number in range(3):
            with transaction.atomic():
                CustomerFactory.create(name=f"Batch {number}")
            assert dataversion.current() == before + number + 1
    assert dataversion.current() == before + 3


def test_a_write_outside_any_transaction_moves_the_version_in_its_commit() -> None:
    customer = CustomerFactory.create()
    before = dataversion.current()
    with CaptureQueriesContext(connection) as queries:
        Customer.objects.filter(pk=customer.pk).update(name="Renamed")
    verbs = [query["sql"].split()[0] for query in queries if not query["sql"].startswith("BEGIN")]
    assert dataversion.current() == before + 1
    # The UPDATE and the version's move (and every month's: a customer has no month) in
    # one transaction, one commit for all. (The log lists a statement when it returns:
    # the UPDATE, whose transaction commits inside it, comes last.)
    assert sorted(verbs) == ["COMMIT", "INSERT", "INSERT", "UPDATE"]
    assert len(verbs) - verbs[::-1].index("INSERT") - 1 < verbs.index("COMMIT")


def test_planning_every_project_moves_the_version(project) -> None:
    from huifang.visits.planning import plan_all_projects

    Visit.objects.filter(project=project, status="planned").delete()
    before = dataversion.current()
    totals = plan_all_projects(today=datetime.date(2026, 3, 1))
    assert totals["created"] > 0
    assert dataversion.current() == before + 1
