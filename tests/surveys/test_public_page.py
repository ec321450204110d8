"""The public survey page /s/<token>/: no login, single use, the contact's language."""

from __future__ import annotations

import datetime
import re

import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from huifang.customers.models import Contact
from huifang.surveys.models import SurveyInvitation, SurveyResponse
from huifang.surveys.questionnaires import (
    QuestionSpec,
    ensure_default_questionnaire,
    publish_questionnaire,
    question_specs,
)
from huifang.surveys.services import revoke_invitation
from huifang.visits.models import Feedback
from tests.surveys.conftest import ANSWERS, Invite


def test_page_opens_without_login_in_the_contact_language(
    client: Client, invite: Invite, contact: Contact
) -> None:
    _, path = invite(contact)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()
    assert "总体而言，您对本项目满意吗？" in response.content.decode()


def test_language_switch_by_query_parameter(
    client: Client, invite: Invite, contact: Contact
) -> None:
    _, path = invite(contact)
    response = client.get(path + "?lang=en")
    assert response["Content-Language"] == "en"
    assert "Overall, how satisfied are you with this project?" in response.content.decode()


def test_opening_records_the_first_time_but_keeps_the_link_usable(
    client: Client, invite: Invite, contact: Contact
) -> None:
    invitation, path = invite(contact)
    client.get(path)
    first = SurveyInvitation.objects.get(pk=invitation.pk).opened_at
    client.get(path)
    again = SurveyInvitation.objects.get(pk=invitation.pk)
    assert first is not None
    assert again.opened_at == first
    response = client.post(path, ANSWERS)
    assert response.status_code == 200
    assert "感谢您的答复！" in response.content.decode()
    assert SurveyResponse.objects.get().invitation == invitation


def test_second_post_says_already_answered(
    client: Client, invite: Invite, contact: Contact
) -> None:
    _, path = invite(contact)
    client.post(path + "?lang=en", ANSWERS)
    response = client.post(path + "?lang=en", {**ANSWERS, "q_overall": "1"})
    assert response.status_code == 200
    assert "Thank you, this survey has already been answered." in response.content.decode()
    assert Feedback.objects.get().overall_satisfaction == 5


def test_answered_link_opened_again_says_already_answered(
    client: Client, invite: Invite, contact: Contact
) -> None:
    _, path = invite(contact)
    client.post(path, ANSWERS)
    response = client.get(path + "?lang=en")
    assert "Thank you, this survey has already been answered." in response.content.decode()
    assert "<form" not in response.content.decode()


def test_expired_link_shows_the_project_manager_contact(
    client: Client, invite: Invite, contact: Contact, owner: object
) -> None:
    _, path = invite(contact)
    owner.display_name = "Wang Fang"  # type: ignore[attr-defined]
    owner.phone = "138 0000 0000"  # type: ignore[attr-defined]
    owner.save()  # type: ignore[attr-defined]
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        get = client.get(path + "?lang=en")
        post = client.post(path + "?lang=en", ANSWERS)
    body = get.content.decode()
    assert get.status_code == 410
    assert "This survey link has expired." in body
    assert "Wang Fang" in body
    assert "138 0000 0000" in body
    assert "owner@example.com" in body
    assert post.status_code == 410
    assert SurveyResponse.objects.count() == 0


def test_revoked_link_cannot_be_answered(client: Client, invite: Invite, contact: Contact) -> None:
    invitation, path = invite(contact)
    revoke_invitation(invitation=invitation)
    response = client.post(path + "?lang=en", ANSWERS)
    assert response.status_code == 410
    assert "This survey link is no longer valid." in response.content.decode()
    assert SurveyResponse.objects.count() == 0


def test_tampered_token_is_a_plain_404(client: Client, invite: Invite, contact: Contact) -> None:
    _, path = invite(contact)
    token = path.strip("/").split("/")[-1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for url in (f"/s/{tampered}/", "/s/x/", f"/s/{'a' * 200}/"):
        get = client.get(url)
        post = client.post(url, ANSWERS)
        assert (get.status_code, post.status_code) == (404, 404)
        assert "Li Lei" not in get.content.decode()
        assert "ERP" not in get.content.decode()
    assert SurveyResponse.objects.count() == 0


def test_token_of_another_invitation_answers_only_that_one(
    client: Client, invite: Invite, contact: Contact, contact_en: Contact
) -> None:
    first, first_path = invite(contact)
    second, second_path = invite(contact_en)
    client.post(second_path, ANSWERS)
    assert SurveyResponse.objects.get().invitation == second
    assert SurveyInvitation.objects.get(pk=first.pk).responded_at is None
    response = client.post(second_path, ANSWERS)
    assert "already been answered" in response.content.decode()
    assert SurveyResponse.objects.count() == 1
    assert client.get(first_path).status_code == 200


def test_missing_answers_are_shown_and_input_kept(
    client: Client, invite: Invite, contact: Contact
) -> None:
    _, path = invite(contact)
    response = client.post(path + "?lang=en", {"q_overall": "4", "q_suggestions": "More calls"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Please answer the questions marked below." in body
    assert re.search(r'value="4" checked', body)
    assert "More calls</textarea>" in body
    assert SurveyResponse.objects.count() == 0


def test_post_without_csrf_token_is_refused(invite: Invite, contact: Contact) -> None:
    _, path = invite(contact)
    response = Client(enforce_csrf_checks=True).post(path, ANSWERS)
    assert response.status_code == 403
    assert SurveyResponse.objects.count() == 0


def test_form_carries_a_csrf_token(client: Client, invite: Invite, contact: Contact) -> None:
    _, path = invite(contact)
    body = client.get(path).content.decode()
    assert 'name="csrfmiddlewaretoken"' in body


def test_submissions_are_rate_limited_per_address(
    client: Client, invite: Invite, contact: Contact, settings: object
) -> None:
    settings.HUIFANG_SURVEY_RATE_LIMIT = 3  # type: ignore[attr-defined]
    _, path = invite(contact)
    statuses = [client.post(path + "?lang=en", {}).status_code for _ in range(3)]
    limited = client.post(path + "?lang=en", ANSWERS)
    other = client.post(path, ANSWERS, REMOTE_ADDR="10.0.0.9")
    assert statuses == [400, 400, 400]
    assert limited.status_code == 429
    assert "Too many attempts" in limited.content.decode()
    assert other.status_code == 200
    assert SurveyResponse.objects.count() == 1


def test_page_loads_nothing_from_another_host(
    client: Client, invite: Invite, contact: Contact
) -> None:
    _, path = invite(contact)
    body = client.get(path).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]*)"', body)
    assert sources
    assert [s for s in sources if "//" in s] == []


def test_page_is_not_cached_and_keeps_the_referrer_on_our_host(
    client: Client, invite: Invite, contact: Contact
) -> None:
    _, path = invite(contact)
    response = client.get(path)
    assert "no-cache" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_single_choice_question_is_answered_and_kept_in_the_answers(
    client: Client, invite: Invite, contact: Contact, quality: object
) -> None:
    base = ensure_default_questionnaire()
    specs = [
        *question_specs(base),
        QuestionSpec(
            key="channel",
            kind="choice",
            text_zh="您最喜欢哪种沟通方式？",
            text_en="Which way of keeping in touch do you prefer?",
            required=True,
            options=[
                {"value": "phone", "zh": "电话", "en": "Phone"},
                {"value": "wechat", "zh": "微信", "en": "WeChat"},
            ],
        ),
    ]
    publish_questionnaire(
        phase="closing",
        title_zh="结束调查",
        title_en="Closing survey",
        questions=specs,
        created_by=None,
    )
    invitation, path = invite(contact)
    page = client.get(path).content.decode()
    assert "<legend" in page
    assert "微信" in page
    response = client.post(path, {**ANSWERS, "q_channel": "wechat"})
    assert response.status_code == 200
    assert invitation.questionnaire.phase == "closing"
    assert SurveyResponse.objects.get().answers["channel"] == "wechat"


def test_an_answer_posted_without_opening_the_page_counts_as_opened(
    client: Client, invite: Invite, contact: Contact
) -> None:
    invitation, path = invite(contact)

    client.post(path, ANSWERS)

    answered = SurveyInvitation.objects.get(pk=invitation.pk)
    assert answered.responded_at is not None
    assert answered.opened_at == answered.responded_at


def test_rate_limit_behind_a_proxy_counts_each_customer_not_the_proxy(
    client: Client, invite: Invite, contact: Contact, settings: object
) -> None:
    """Behind one trusted proxy every request comes from the proxy's address: one
    holder of a link must not use up the limit of every other customer."""
    settings.HUIFANG_SURVEY_RATE_LIMIT = 3  # type: ignore[attr-defined]
    settings.HUIFANG_TRUSTED_PROXY_COUNT = 1  # type: ignore[attr-defined]
    _, path = invite(contact)
    proxy = "10.0.0.1"
    # The abuser also forges an entry on the left; the proxy appends the real address.
    statuses = [
        client.post(
            path + "?lang=en",
            {},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="203.0.113.50, 198.51.100.7",
        ).status_code
        for _ in range(4)
    ]
    customer = client.post(
        path + "?lang=en", ANSWERS, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert statuses == [400, 400, 400, 429]
    assert customer.status_code == 200
    assert SurveyResponse.objects.count() == 1


def test_rate_limit_holds_across_web_processes(
    client: Client, invite: Invite, contact: Contact, settings: object
) -> None:
    """Each gunicorn worker has its own in-memory cache: emptying it between posts (as
    the next post landing on another worker would) must not reset the count."""
    settings.HUIFANG_SURVEY_RATE_LIMIT = 3  # type: ignore[attr-defined]
    _, path = invite(contact)
    statuses = []
    for _ in range(4):
        cache.clear()
        statuses.append(client.post(path + "?lang=en", {}).status_code)
    assert statuses == [400, 400, 400, 429]
