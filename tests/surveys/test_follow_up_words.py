"""The action the system makes after a low survey score keeps a message key and is
shown in the reader's language, wherever it is shown; old ones get their key from
their stored words."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.test import Client

from huifang.actions.models import ImprovementAction
from huifang.actions.wording import SURVEY_FOLLOW_UP
from huifang.core.models import User
from huifang.customers.models import Contact
from huifang.surveys.services import submit_survey_response
from tests.surveys.conftest import SERVICE_ANSWERS, Invite

migration = __import__(
    "huifang.actions.migrations.0006_action_description_key_from_text", fromlist=["x"]
)
ZH = "联系客户，跟进其调查答复"
EN = "Contact the customer about their survey answer"


def _page(user: User, language: str, path: str) -> str:
    user.language = language
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _detractor(invite: Invite, contact: Contact, owner: User) -> ImprovementAction:
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    invitation, _ = invite(contact)
    submit_survey_response(
        invitation=invitation, answers={**SERVICE_ANSWERS, "recommend": 3}, language="zh-hans"
    )
    return ImprovementAction.objects.get()


def test_follow_up_action_is_shown_in_the_readers_language(
    invite: Invite, contact: Contact, owner: User
) -> None:
    action = _detractor(invite, contact, owner)
    assert (action.description_key, action.description) == (SURVEY_FOLLOW_UP, ZH)
    for path in (f"/actions/{action.pk}/", "/actions/", "/actions/list/", "/"):
        english = _page(owner, "en", path)
        assert EN in english, path
        assert ZH not in english, path
    assert ZH in _page(owner, "zh-hans", f"/actions/{action.pk}/")


def test_action_notice_words_the_follow_up_in_the_readers_language(
    invite: Invite, contact: Contact, owner: User
) -> None:
    from django.utils import translation

    from huifang.notify.messages import build_message, render_message

    action = _detractor(invite, contact, owner)
    with translation.override("zh-hans"):
        made = build_message("action_overdue", action, {})
    assert made.params is not None
    with translation.override("en"):
        assert EN in render_message("action_overdue", made.params)[1]


def test_migration_gives_old_follow_ups_their_key_and_leaves_other_words(
    invite: Invite, contact: Contact, owner: User
) -> None:
    action = _detractor(invite, contact, owner)
    ImprovementAction.objects.filter(pk=action.pk).update(description_key=None)
    mine = ImprovementAction.objects.create(
        project=action.project,
        origin="feedback",
        description="打电话给客户",
        owner=owner,
        due_date=action.due_date,
        created_by=owner,
    )
    migration.add_keys(django_apps, None)
    action.refresh_from_db()
    mine.refresh_from_db()
    assert action.description_key == SURVEY_FOLLOW_UP
    assert mine.description_key is None
    assert mine.shown_description == "打电话给客户"
