"""Staff survey pages: invite from a visit, resend / new link / revoke, tracking,
questionnaires. Outsiders get 404, executives 403 on writes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.policy.models import Policy
from huifang.projects.models import Project
from huifang.projects.services import create_project
from huifang.surveys.models import Questionnaire, SurveyInvitation, SurveyLink
from huifang.surveys.questionnaires import ensure_default_questionnaire
from huifang.visits.models import Visit
from tests.factories import ContactFactory, CustomerFactory
from tests.pages import form_version, loaded
from tests.surveys.conftest import Invite


def _as(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_invite_page_anonymous_goes_to_login(client: Client, visit: Visit) -> None:
    response = client.get(reverse("surveys:invite", args=[visit.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_invite_page_outsider_gets_404(client: Client, visit: Visit, outsider: User) -> None:
    response = _as(client, outsider).get(reverse("surveys:invite", args=[visit.pk]))
    assert response.status_code == 404


def test_invite_page_executive_gets_403(client: Client, visit: Visit, executive: User) -> None:
    response = _as(client, executive).get(reverse("surveys:invite", args=[visit.pk]))
    assert response.status_code == 403


def test_member_invites_contacts_and_sees_links_with_qr_codes(
    client: Client, visit: Visit, colleague: User, contact: Contact, contact_en: Contact
) -> None:
    response = _as(client, colleague).post(
        reverse("surveys:invite", args=[visit.pk]), {"contacts": [contact.pk, contact_en.pk]}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="survey-link"') == 2
    assert body.count('class="survey-qr" role="img"') == 2
    assert len(re.findall(r'class="survey-qr"[^>]*><svg', body)) == 2
    assert SurveyInvitation.objects.filter(visit=visit, invited_by=colleague).count() == 2
    url = re.search(r'value="(http://testserver/s/[^"]+/)"', body)
    assert url is not None
    assert client.get(url.group(1)).status_code == 200


def test_invite_without_contacts_shows_the_error(
    client: Client, visit: Visit, owner: User, contact: Contact
) -> None:
    response = _as(client, owner).post(reverse("surveys:invite", args=[visit.pk]), {})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert SurveyInvitation.objects.count() == 0


def test_invite_twice_shows_the_domain_error_and_keeps_the_choice(
    client: Client, visit: Visit, owner: User, contact: Contact, invite: Invite
) -> None:
    invite(contact)
    response = _as(client, owner).post(
        reverse("surveys:invite", args=[visit.pk]), {"contacts": [contact.pk]}
    )
    body = response.content.decode()
    assert "以下联系人已被邀请参加本次回访的调查：Li Lei。请重新发送其邀请。" in body
    assert re.search(rf'value="{contact.pk}"[^>]*checked', body)


def test_executive_cannot_resend_or_revoke(
    client: Client, executive: User, invite: Invite, contact: Contact
) -> None:
    invitation, _ = invite(contact)
    _as(client, executive)
    for name in ("surveys:resend", "surveys:new_link", "surveys:revoke"):
        assert client.post(reverse(name, args=[invitation.pk])).status_code == 403
    assert SurveyInvitation.objects.get(pk=invitation.pk).revoked_at is None


def test_outsider_cannot_see_an_invitation(
    client: Client, outsider: User, invite: Invite, contact: Contact
) -> None:
    invitation, _ = invite(contact)
    response = _as(client, outsider).post(reverse("surveys:revoke", args=[invitation.pk]))
    assert response.status_code == 404


def test_resend_shows_a_new_link(
    client: Client, owner: User, invite: Invite, contact: Contact
) -> None:
    invitation, _ = invite(contact)
    response = _as(client, owner).post(reverse("surveys:resend", args=[invitation.pk]))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="survey-link"') == 1
    assert SurveyLink.objects.filter(invitation=invitation).count() == 2


def test_new_link_page_has_a_qr_code(
    client: Client, owner: User, invite: Invite, contact: Contact
) -> None:
    invitation, _ = invite(contact)
    response = _as(client, owner).post(reverse("surveys:new_link", args=[invitation.pk]))
    body = response.content.decode()
    assert len(re.findall(r'class="survey-qr"[^>]*><svg', body)) == 1


def test_revoke_closes_the_invitation(
    client: Client, owner: User, invite: Invite, contact: Contact
) -> None:
    invitation, path = invite(contact)
    response = _as(client, owner).post(reverse("surveys:revoke", args=[invitation.pk]))
    assert response.status_code == 302
    assert SurveyInvitation.objects.get(pk=invitation.pk).revoked_at is not None
    assert client.get(path).status_code == 410


def test_revoke_requires_post(
    client: Client, owner: User, invite: Invite, contact: Contact
) -> None:
    invitation, _ = invite(contact)
    response = _as(client, owner).get(reverse("surveys:revoke", args=[invitation.pk]))
    assert response.status_code == 405


def _answered(invitation: SurveyInvitation) -> None:
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        opened_at=timezone.now(), responded_at=timezone.now()
    )


def test_tracking_counts_per_project_scoped_to_the_user(
    client: Client,
    owner: User,
    outsider_pm: User,
    invite: Invite,
    contact: Contact,
    contact_en: Contact,
    policy: Policy,
) -> None:
    first, _ = invite(contact)
    invite(contact_en)
    _answered(first)
    other, _ = create_project(
        code="P-999",
        name="Hidden",
        customer=CustomerFactory(),
        manager=outsider_pm,
        status="active",
        cadence="monthly",
        planned_start=timezone.localdate(),
        planned_end=None,
        policy=policy,
        members=[],
    )
    hidden_contact = ContactFactory(customer=other.customer, email="h@example.com")
    invite(hidden_contact, on=other.visits.first())
    body = _as(client, owner).get(reverse("surveys:tracking")).content.decode()
    assert body.count('data-testid="tracking-row"') == 1
    assert "P-999" not in body
    assert '<dd class="h4 mb-0" data-testid="total-sent">2</dd>' in body
    assert '<dd class="h4 mb-0" data-testid="total-rate">50.0%</dd>' in body


def test_tracking_query_count_does_not_grow_with_rows(
    client: Client,
    quality: User,
    owner: User,
    policy: Policy,
    invite: Invite,
    contact: Contact,
) -> None:
    invite(contact)
    _as(client, quality)
    url = reverse("surveys:tracking")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(3):
        project, _ = create_project(
            code=f"P-10{number}",
            name=f"More {number}",
            customer=CustomerFactory(),
            manager=owner,
            status="active",
            cadence="monthly",
            planned_start=timezone.localdate(),
            planned_end=None,
            policy=policy,
            members=[],
        )
        invite(
            ContactFactory(customer=project.customer, email=f"m{number}@example.com"),
            on=project.visits.first(),
        )
    with CaptureQueriesContext(connection) as several:
        body = client.get(url).content.decode()
    assert body.count('data-testid="tracking-row"') == 4
    assert len(several) == len(one)


def test_project_tracking_lists_invitations(
    client: Client, owner: User, project: Project, invite: Invite, contact: Contact
) -> None:
    invitation, _ = invite(contact)
    _answered(invitation)
    body = (
        _as(client, owner)
        .get(reverse("surveys:project_tracking", args=[project.pk]))
        .content.decode()
    )
    assert body.count('data-testid="invitation-row"') == 1
    assert '<dd class="h4 mb-0" data-testid="total-rate">100.0%</dd>' in body


def test_project_tracking_outsider_gets_404(
    client: Client, outsider: User, project: Project
) -> None:
    response = _as(client, outsider).get(reverse("surveys:project_tracking", args=[project.pk]))
    assert response.status_code == 404


def test_questionnaire_edit_is_for_quality_managers(
    client: Client, executive: User, owner: User
) -> None:
    url = reverse("surveys:questionnaire_edit", args=["any"])
    assert _as(client, executive).get(url).status_code == 403
    assert _as(client, owner).get(url).status_code == 403


def test_questionnaire_edit_unknown_phase_is_404(client: Client, quality: User) -> None:
    url = reverse("surveys:questionnaire_edit", args=["nonsense"])
    assert _as(client, quality).get(url).status_code == 404


def _formset_post(questionnaire: Questionnaire, **overrides: str) -> dict[str, str]:
    questions = list(questionnaire.questions.all())
    data = {
        "title_zh": questionnaire.title_zh,
        "title_en": questionnaire.title_en,
        "intro_zh": "",
        "intro_en": "",
        "change_note": "Add a channel question",
        "questions-TOTAL_FORMS": str(len(questions) + 1),
        "questions-INITIAL_FORMS": str(len(questions)),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    for index, question in enumerate(questions):
        prefix = f"questions-{index}-"
        data.update(
            {
                prefix + "key": question.key,
                prefix + "kind": question.kind,
                prefix + "text_zh": question.text_zh,
                prefix + "text_en": question.text_en,
                prefix + "maps_to": question.maps_to,
                prefix + "options": "",
            }
        )
        if question.required:
            data[prefix + "required"] = "on"
    extra = f"questions-{len(questions)}-"
    data.update(
        {
            extra + "key": "channel",
            extra + "kind": "choice",
            extra + "text_zh": "您最喜欢哪种沟通方式？",
            extra + "text_en": "Which way of keeping in touch do you prefer?",
            extra + "options": "phone | 电话 | Phone\nwechat | 微信 | WeChat",
            extra + "maps_to": "",
        }
    )
    data.update(overrides)
    return data


def test_quality_manager_publishes_a_new_version(client: Client, quality: User) -> None:
    base = ensure_default_questionnaire()
    page = reverse("surveys:questionnaire_edit", args=["closing"])
    data = _formset_post(base, version=form_version(_as(client, quality), page))
    response = client.post(page, data)
    assert response.status_code == 302
    created = Questionnaire.objects.get(phase="closing")
    assert created.number == 1
    assert created.created_by == quality
    assert [q.key for q in created.questions.all()][-1] == "channel"
    assert created.questions.get(key="channel").options == [
        {"value": "phone", "zh": "电话", "en": "Phone"},
        {"value": "wechat", "zh": "微信", "en": "WeChat"},
    ]
    assert base.questions.count() == 8


def test_questionnaire_edit_bad_options_show_the_error(client: Client, quality: User) -> None:
    base = ensure_default_questionnaire()
    data = _formset_post(base, **{"questions-8-options": "only one part"})
    response = _as(client, quality).post(reverse("surveys:questionnaire_edit", args=["any"]), data)
    assert response.status_code == 200
    assert "only one part" in response.content.decode()
    assert Questionnaire.objects.count() == 1


def test_questionnaire_list_shows_current_versions(client: Client, colleague: User) -> None:
    ensure_default_questionnaire()
    body = _as(client, colleague).get(reverse("surveys:questionnaires")).content.decode()
    assert body.count('data-testid="questionnaire"') == 1
    assert "questionnaire_edit" not in body


def test_project_tracking_query_count_does_not_grow_with_rows(
    client: Client, owner: User, project: Project, invite: Invite, contact: Contact
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    invite(contact)
    _as(client, owner)
    url = reverse("surveys:project_tracking", args=[project.pk])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(3):
        invite(ContactFactory(customer=project.customer, email=f"c{number}@example.com"))
    with CaptureQueriesContext(connection) as several:
        body = client.get(url).content.decode()
    assert body.count('data-testid="invitation-row"') == 4
    assert len(several) == len(one)


def test_questionnaire_detail_lists_the_questions(client: Client, executive: User) -> None:
    questionnaire = ensure_default_questionnaire()
    response = _as(client, executive).get(
        reverse("surveys:questionnaire_detail", args=[questionnaire.pk])
    )
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == 9


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("surveys:tracking", []),
        ("surveys:project_tracking", [1]),
        ("surveys:questionnaires", []),
        ("surveys:questionnaire_detail", [1]),
        ("surveys:questionnaire_edit", ["any"]),
    ],
)
def test_staff_pages_send_anonymous_users_to_login(
    client: Client, db: None, name: str, args: list[Any]
) -> None:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_questionnaire_edit_ignores_the_blank_extra_question(client: Client, quality: User) -> None:
    base = ensure_default_questionnaire()
    data = _formset_post(base)
    for field in ("key", "kind", "text_zh", "text_en", "options", "maps_to"):
        data[f"questions-8-{field}"] = ""
    data["questions-0-DELETE"] = "on"
    page = reverse("surveys:questionnaire_edit", args=["any"])
    data["version"] = form_version(_as(client, quality), page)
    response = client.post(page, data)
    assert response.status_code == 302
    latest = Questionnaire.objects.get(phase="", number=2)
    assert [q.key for q in latest.questions.all()] == [
        "quality",
        "schedule",
        "communication",
        "service",
        "recommend",
        "evaluation",
        "suggestions",
    ]


def test_questionnaire_saved_as_the_browser_sends_it_ignores_the_untouched_extra_row(
    client: Client, quality: User
) -> None:
    ensure_default_questionnaire()
    page = reverse("surveys:questionnaire_edit", args=["closing"])
    data = loaded(_as(client, quality), page)
    assert data["questions-8-kind"] == ["rating"]  # a <select> always sends a value
    response = client.post(page, data)
    assert response.status_code == 302
    assert Questionnaire.objects.get(phase="closing").questions.count() == 8


def test_questionnaire_edit_starts_from_the_current_questions(
    client: Client, quality: User
) -> None:
    ensure_default_questionnaire()
    body = _as(client, quality).get(reverse("surveys:questionnaire_edit", args=["closing"]))
    html = body.content.decode()
    assert html.count("<fieldset") == 9
    assert 'value="overall"' in html


def test_invite_page_preselects_the_visit_contacts(
    client: Client, owner: User, visit: Visit, contact: Contact, contact_en: Contact
) -> None:
    visit.contacts.set([contact_en])
    html = _as(client, owner).get(reverse("surveys:invite", args=[visit.pk])).content.decode()
    assert re.search(rf'value="{contact_en.pk}"[^>]*checked', html)
    assert not re.search(rf'value="{contact.pk}"[^>]*checked', html)
