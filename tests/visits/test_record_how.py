"""How the visit actually took place and who took part: the record captures its form,
the customer's contacts and our staff, prefilled from the appointment; the visit page,
the API, the amendments and the exports show them. Today is 2026-04-20."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from huifang.api.tokens import create_api_token
from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.projects.models import Project
from huifang.visits.lifecycle import book_visit
from huifang.visits.models import Visit, VisitRecord
from huifang.visits.recording import submit_visit_record
from tests.factories import ContactFactory, CustomerFactory
from tests.visits.record_form import client_for, kickoff_of, record_data, record_url

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today(time_machine: Any) -> None:
    time_machine.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def wang(project: Project) -> Contact:
    return ContactFactory.create(customer=project.customer, name="Wang Fang", title="CIO")


def _scheduled(project: Project, wang: Contact, colleague: User) -> Visit:
    visit = kickoff_of(project)
    return book_visit(
        visit=visit,
        scheduled_at=datetime.datetime(2026, 4, 20, 9, 0, tzinfo=SHANGHAI),
        form="phone",
        contacts=[wang],
        participants=[colleague],
    )


def _how(visit: Visit, form: str, contacts: list[Contact], people: list[User], **more: Any) -> dict:
    data = record_data(**{"record-form": form, **more})
    data["record-contacts"] = [str(contact.pk) for contact in contacts]
    data["record-participants"] = [str(person.pk) for person in people]
    return data


def test_record_form_starts_from_the_appointment(
    project: Project, wang: Contact, colleague: User
) -> None:
    visit = _scheduled(project, wang, colleague)

    how = client_for(colleague).get(record_url(visit)).context["forms"].how

    assert (how["form"].value(), how["contacts"].value(), how["participants"].value()) == (
        "phone",
        [wang.pk],
        [colleague.pk],
    )


def test_record_form_without_participants_starts_with_the_owner(
    project: Project, owner: User, colleague: User
) -> None:
    visit = kickoff_of(project)
    Visit.objects.filter(pk=visit.pk).update(owner=colleague)

    how = client_for(owner).get(record_url(visit)).context["forms"].how

    assert (how["form"].value(), how["participants"].value()) == ("", [colleague.pk])


def test_record_keeps_the_actual_form_and_people_and_the_visit_page_shows_them(
    project: Project, owner: User, wang: Contact, colleague: User
) -> None:
    visit = _scheduled(project, wang, colleague)
    client = client_for(colleague)

    client.post(record_url(visit), _how(visit, "face_to_face", [wang], [colleague, owner]))

    record = VisitRecord.objects.get(visit=visit)
    html = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert record.form == "face_to_face"
    assert list(record.contacts.all()) == [wang]
    assert set(record.participants.all()) == {owner, colleague}
    assert 'data-testid="record-form-of-visit">Face to face</dd>' in html
    assert "Wang Fang (CIO)" in html
    # The appointment stays what it was.
    visit.refresh_from_db()
    assert visit.form == "phone"
    # Opened again, the form shows the record's values, not the appointment's.
    how = client.get(record_url(visit)).context["forms"].how
    assert how["form"].value() == "face_to_face"


def test_record_refuses_a_contact_of_another_customer(project: Project, colleague: User) -> None:
    stranger = ContactFactory.create(customer=CustomerFactory.create(), name="Stranger")
    visit = kickoff_of(project)

    response = client_for(colleague).post(record_url(visit), _how(visit, "phone", [stranger], []))

    assert response.status_code == 200
    assert response.context["forms"].how.errors["contacts"]
    assert not VisitRecord.objects.filter(visit=visit).exists()


def test_amending_the_form_of_the_visit_keeps_old_and_new(
    project: Project, wang: Contact, colleague: User
) -> None:
    visit = _scheduled(project, wang, colleague)
    client = client_for(colleague)
    client.post(record_url(visit), _how(visit, "phone", [wang], [colleague]))
    submit_visit_record(record=VisitRecord.objects.get(visit=visit), submitted_by=colleague)
    amend = reverse("visits:amend", args=[visit.pk])
    page = client.get(amend)
    data = {
        name: field.value() if field.value() is not None else ""
        for name, field in (
            (name, page.context["form"][name]) for name in page.context["form"].fields
        )
    }
    data.update({"reason": "It was a video call", "form": "online"})

    client.post(amend, data)

    html = client.get(reverse("visits:detail", args=[visit.pk])).content.decode()
    assert VisitRecord.objects.get(visit=visit).form == "online"
    assert "Phone" in html
    assert "Online meeting" in html


def test_api_records_form_and_people(
    project: Project, owner: User, wang: Contact, colleague: User, client: Any
) -> None:
    visit = kickoff_of(project)
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {create_api_token(user=colleague, name='t').raw}",
        "HTTP_ACCEPT_LANGUAGE": "en",
    }
    body = {"form": "online", "contact_ids": [wang.pk], "participant_ids": [colleague.pk]}

    response = client.put(
        f"/api/v1/visits/{visit.pk}/record",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )

    saved = response.json()
    assert (response.status_code, saved["form"]) == (200, "online")
    assert (saved["contact_ids"], saved["participant_ids"]) == ([wang.pk], [colleague.pk])


def test_api_refuses_a_contact_of_another_customer(
    project: Project, colleague: User, client: Any
) -> None:
    stranger = ContactFactory.create(customer=CustomerFactory.create(), name="Stranger")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(user=colleague, name='t').raw}"}

    response = client.put(
        f"/api/v1/visits/{kickoff_of(project).pk}/record",
        json.dumps({"contact_ids": [stranger.pk]}),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 400
    assert not VisitRecord.objects.exists()


def test_exports_show_form_and_people(project: Project, wang: Contact, colleague: User) -> None:
    visit = _scheduled(project, wang, colleague)
    client = client_for(colleague)
    client.post(record_url(visit), _how(visit, "phone", [wang], [colleague]))

    report = client.get(
        reverse("insights:export_records"), {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    )
    rows = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True))
    transfer = client.get(reverse("transfer:export", args=["records", "csv"])).content
    text = transfer.decode("utf-8-sig")

    header = list(rows[0])
    at = header.index("Form of the visit")
    assert header[at : at + 3] == ["Form of the visit", "The customer's contacts", "Our staff"]
    assert list(rows[1][at : at + 3]) == ["Phone", "Wang Fang", str(colleague)]
    assert "Form of the visit,The customer's contacts,Our staff" in text
    assert f"Phone,Wang Fang,{colleague}" in text
