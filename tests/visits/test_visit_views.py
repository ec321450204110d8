"""The visit pages: list, detail, schedule, ad-hoc, cancel and reassign.

The ``project`` fixture (managed by ``owner``, ``colleague`` on the team) runs
2026-03-02 – 2026-08-31; kickoff due 03-09, ongoing #1 due 04-09. Today is 2026-04-20.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from huifang.core.models import User
from huifang.projects.models import Project
from huifang.projects.services import create_project
from huifang.visits.models import Visit, VisitStatus
from huifang.visits.recording import save_visit_record, submit_visit_record
from tests.factories import ContactFactory, CustomerFactory, UserFactory
from tests.pages import form_version

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False)


def _client(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _kickoff(project: Project) -> Visit:
    return project.visits.get(phase="kickoff", sequence=1)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# --- The list ---------------------------------------------------------------------------


def test_visit_list_shows_only_visible_projects_visits(
    project: Project, colleague: User, outsider: User
) -> None:
    mine = _client(colleague).get(reverse("visits:list"))
    theirs = _client(outsider).get(reverse("visits:list"))

    assert len(mine.context["rows"]) == project.visits.count()
    assert theirs.context["rows"] == []


def test_visit_list_anonymous_redirects_to_login(db: None) -> None:
    response = Client().get(reverse("visits:list"))

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/visits/")


def test_visit_list_overdue_filter_shows_how_late(project: Project, colleague: User) -> None:
    response = _client(colleague).get(reverse("visits:list"), {"overdue": "on"})

    rows = [(visit.phase, late) for visit, late in response.context["rows"]]
    assert rows == [("kickoff", 42), ("ongoing", 11)]
    assert "42 days late" in response.content.decode()


def test_visit_list_filters_by_phase_status_and_due_range(
    project: Project, colleague: User
) -> None:
    client = _client(colleague)

    closing = client.get(reverse("visits:list"), {"phase": "closing"})
    window = client.get(
        reverse("visits:list"),
        {"status": "planned", "due_from": "2026-04-01", "due_to": "2026-05-31"},
    )

    assert [visit.phase for visit, _ in closing.context["rows"]] == ["closing"]
    assert [str(visit.due_date) for visit, _ in window.context["rows"]] == [
        "2026-04-09",
        "2026-05-09",
    ]


def test_visit_list_ignores_an_invalid_filter_and_keeps_the_others(
    project: Project, colleague: User
) -> None:
    response = _client(colleague).get(
        reverse("visits:list"), {"phase": "closing", "due_from": "not-a-date"}
    )

    assert [visit.phase for visit, _ in response.context["rows"]] == ["closing"]
    assert response.context["form"].errors["due_from"] == ["Enter a valid date."]


def test_visit_list_sorts_by_due_date_descending(project: Project, colleague: User) -> None:
    response = _client(colleague).get(reverse("visits:list"), {"sort": "-due"})

    dates = [visit.due_date for visit, _ in response.context["rows"]]
    assert dates == sorted(dates, reverse=True)


def test_visit_list_paginates(project: Project, colleague: User) -> None:
    response = _client(colleague).get(reverse("visits:list"), {"per_page": 3, "page": 2})

    page = response.context["page"]
    assert (page.number, len(response.context["rows"]), page.paginator.count) == (
        2,
        3,
        project.visits.count(),
    )


def test_visit_list_filters_by_owner(project: Project, owner: User, colleague: User) -> None:
    visit = _kickoff(project)
    visit.owner = colleague
    visit.save()

    response = _client(owner).get(reverse("visits:list"), {"owner": colleague.pk})

    assert [row.pk for row, _ in response.context["rows"]] == [visit.pk]


def test_visit_list_searches_projects_by_code_or_name(
    project: Project, policy: Any, owner: User
) -> None:
    other = create_project(
        code="Z-900",
        name="Warehouse",
        customer=CustomerFactory.create(),
        manager=owner,
        status="active",
        cadence="monthly",
        planned_start=datetime.date(2026, 3, 2),
        planned_end=datetime.date(2026, 8, 31),
        policy=policy,
        members=[],
        today=datetime.date(2026, 3, 1),
    )[0]
    client = _client(owner)

    def projects(**params: Any) -> set[str]:
        response = client.get(reverse("visits:list"), {"per_page": 100, **params})
        assert response.context["form"].errors == {}
        return {row.project.code for row, _ in response.context["rows"]}

    assert projects(q="z-9") == {"Z-900"}
    assert projects(q="warehouse") == {"Z-900"}
    assert projects(project=project.pk) == {project.code}
    assert projects(project=other.pk, q="warehouse") == {"Z-900"}
    # No <select> of every visible project (10,000 at enterprise scale).
    assert b'<select name="project"' not in client.get(reverse("visits:list")).content


def test_visit_list_query_count_does_not_grow_with_rows(
    project: Project, policy: Any, owner: User, quality: User
) -> None:
    client = _client(quality)
    url = reverse("visits:list")
    Visit.objects.exclude(pk=_kickoff(project).pk).delete()
    one = _queries(client, url)
    create_project(
        code="P-002",
        name="Second",
        customer=CustomerFactory.create(),
        manager=owner,
        status="active",
        cadence="biweekly",
        planned_start=datetime.date(2026, 3, 2),
        planned_end=datetime.date(2026, 8, 31),
        policy=policy,
        members=[UserFactory.create()],
        today=datetime.date(2026, 3, 1),
    )
    assert Visit.objects.count() > 10

    assert _queries(client, url) == one


# --- Detail -----------------------------------------------------------------------------


def test_visit_detail_shows_window_owner_and_contacts(
    project: Project, owner: User, colleague: User
) -> None:
    visit = _kickoff(project)
    contact = ContactFactory.create(customer=project.customer, name="Ms Li")
    visit.contacts.add(contact)
    visit.participants.add(colleague)
    visit.owner = owner
    visit.save()

    response = _client(colleague).get(reverse("visits:detail", args=[visit.pk]))

    assert response.status_code == 200
    assert (response.context["contacts"], response.context["participants"]) == (
        [contact],
        [colleague],
    )
    assert response.context["days_late"] == 42
    assert "Ms Li" in response.content.decode()


def test_visit_detail_outsider_gets_404(project: Project, outsider: User) -> None:
    response = _client(outsider).get(reverse("visits:detail", args=[_kickoff(project).pk]))

    assert response.status_code == 404


def test_visit_detail_query_count_does_not_grow_with_record_rows(
    project: Project, colleague: User, owner: User
) -> None:
    client = _client(colleague)
    small, large = _kickoff(project), project.visits.get(phase="ongoing", sequence=1)

    def record(visit: Visit, rows: int) -> None:
        save_visit_record(
            visit=visit,
            recorded_by=colleague,
            fields={"summary": "x"},
            problems=[{"category": "quality", "description": f"P{i}"} for i in range(rows)],
            feedback={"overall_satisfaction": 4},
            actions=[
                {"description": f"A{i}", "owner": owner, "due_date": datetime.date(2026, 5, 1)}
                for i in range(rows)
            ],
        )
        visit.contacts.add(*[ContactFactory.create(customer=project.customer) for _ in range(rows)])

    record(small, 1)
    record(large, 4)

    assert _queries(client, reverse("visits:detail", args=[large.pk])) == _queries(
        client, reverse("visits:detail", args=[small.pk])
    )


# --- Schedule ---------------------------------------------------------------------------


def _schedule_data(**changes: Any) -> dict[str, Any]:
    data = {"scheduled_at": "2026-04-22T14:30", "form": "phone"}
    data.update(changes)
    return data


def test_schedule_visit_by_manager_sets_time_form_and_people(
    project: Project, owner: User, colleague: User
) -> None:
    visit = _kickoff(project)
    contact = ContactFactory.create(customer=project.customer)

    client, page = _client(owner), reverse("visits:schedule", args=[visit.pk])
    response = client.post(
        page,
        _schedule_data(
            contacts=[contact.pk],
            participants=[colleague.pk],
            owner=colleague.pk,
            version=form_version(client, page),
        ),
    )

    visit.refresh_from_db()
    assert response.status_code == 302
    assert (visit.status, visit.form, visit.owner, list(visit.contacts.all())) == (
        "scheduled",
        "phone",
        colleague,
        [contact],
    )
    assert visit.scheduled_at == datetime.datetime(2026, 4, 22, 14, 30, tzinfo=SHANGHAI)


def test_schedule_visit_by_its_owner_keeps_owner(
    project: Project, owner: User, colleague: User
) -> None:
    visit = _kickoff(project)
    visit.owner = colleague
    visit.save()

    client, page = _client(colleague), reverse("visits:schedule", args=[visit.pk])
    response = client.post(page, _schedule_data(owner=owner.pk, version=form_version(client, page)))

    visit.refresh_from_db()
    assert (response.status_code, visit.status, visit.owner) == (302, "scheduled", colleague)


def test_schedule_visit_by_member_not_owning_it_is_forbidden(
    project: Project, colleague: User
) -> None:
    response = _client(colleague).post(
        reverse("visits:schedule", args=[_kickoff(project).pk]), _schedule_data()
    )

    assert response.status_code == 403


def test_schedule_visit_without_time_shows_error_and_keeps_input(
    project: Project, owner: User
) -> None:
    client, page = _client(owner), reverse("visits:schedule", args=[_kickoff(project).pk])
    response = client.post(
        page, _schedule_data(scheduled_at="", form="email", version=form_version(client, page))
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"scheduled_at": ["This field is required."]}
    assert 'value="email" selected' in response.content.decode()


def test_schedule_visit_executive_is_forbidden(project: Project, executive: User) -> None:
    response = _client(executive).get(reverse("visits:schedule", args=[_kickoff(project).pk]))

    assert response.status_code == 403


# --- Cancel, reassign, ad-hoc -------------------------------------------------------------


def test_cancel_visit_with_reason(project: Project, owner: User) -> None:
    visit = _kickoff(project)

    client, page = _client(owner), reverse("visits:cancel", args=[visit.pk])
    response = client.post(
        page, {"reason": "Customer closed for audit", "version": form_version(client, page)}
    )

    visit.refresh_from_db()
    assert (response.status_code, visit.status, visit.cancel_reason) == (
        302,
        VisitStatus.CANCELLED,
        "Customer closed for audit",
    )


def test_cancel_visit_without_reason_shows_error(project: Project, owner: User) -> None:
    client, page = _client(owner), reverse("visits:cancel", args=[_kickoff(project).pk])
    response = client.post(page, {"reason": "", "version": form_version(client, page)})

    assert response.context["form"].errors == {"reason": ["This field is required."]}


def test_cancel_visit_by_project_member_is_forbidden(project: Project, colleague: User) -> None:
    response = _client(colleague).post(
        reverse("visits:cancel", args=[_kickoff(project).pk]), {"reason": "No"}
    )

    assert response.status_code == 403


def test_cancel_visit_by_outsider_is_404(project: Project, outsider_pm: User) -> None:
    response = _client(outsider_pm).post(
        reverse("visits:cancel", args=[_kickoff(project).pk]), {"reason": "No"}
    )

    assert response.status_code == 404


def test_cancel_visit_executive_is_forbidden(project: Project, executive: User) -> None:
    response = _client(executive).post(
        reverse("visits:cancel", args=[_kickoff(project).pk]), {"reason": "No"}
    )

    assert response.status_code == 403


def test_reassign_visit_to_team_member(project: Project, owner: User, colleague: User) -> None:
    visit = _kickoff(project)

    client, page = _client(owner), reverse("visits:reassign", args=[visit.pk])
    response = client.post(page, {"owner": colleague.pk, "version": form_version(client, page)})

    visit.refresh_from_db()
    assert (response.status_code, visit.owner) == (302, colleague)


def test_reassign_visit_to_someone_off_the_team_is_not_offered(
    project: Project, owner: User, outsider: User
) -> None:
    client, page = _client(owner), reverse("visits:reassign", args=[_kickoff(project).pk])
    response = client.post(page, {"owner": outsider.pk, "version": form_version(client, page)})

    assert response.context["form"].errors == {
        "owner": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_reassign_done_visit_shows_why_not(project: Project, owner: User, colleague: User) -> None:
    visit = _kickoff(project)
    record = save_visit_record(
        visit=visit,
        recorded_by=colleague,
        fields={},
        problems=[],
        feedback=None,
        actions=[],
    )
    submit_visit_record(record=record, submitted_by=colleague)

    client, page = _client(owner), reverse("visits:reassign", args=[visit.pk])
    response = client.post(page, {"owner": colleague.pk, "version": form_version(client, page)})

    assert response.context["form"].non_field_errors() == [
        "A visit that is done or cancelled cannot be reassigned."
    ]


def test_reassign_visit_by_member_is_forbidden(project: Project, colleague: User) -> None:
    response = _client(colleague).get(reverse("visits:reassign", args=[_kickoff(project).pk]))

    assert response.status_code == 403


def test_adhoc_visit_is_added_to_the_project(project: Project, owner: User) -> None:
    response = _client(owner).post(
        reverse("visits:adhoc", args=[project.pk]),
        {"due_date": "2026-05-20", "phase": "ongoing", "owner": owner.pk},
    )

    visit = project.visits.get(is_adhoc=True)
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("visits:detail", args=[visit.pk]),
    )
    assert (visit.due_date, visit.owner) == (datetime.date(2026, 5, 20), owner)


def test_adhoc_visit_outsider_gets_404_and_member_403(
    project: Project, outsider: User, colleague: User
) -> None:
    url = reverse("visits:adhoc", args=[project.pk])

    assert (_client(outsider).get(url).status_code, _client(colleague).get(url).status_code) == (
        404,
        403,
    )
