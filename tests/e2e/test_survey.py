"""The customer's survey in a real browser: a phone, both languages, no JavaScript,
nothing loaded from another host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.cache import cache

from huifang.projects.models import Project
from huifang.surveys.models import SurveyResponse
from huifang.surveys.services import invite_contacts
from huifang.visits.models import Feedback, FeedbackSource
from tests.surveys.conftest import make_contact

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def _survey_path(project: Project, live_server: Any, language: str) -> str:
    contact = make_contact(
        customer=project.customer, name="Li Lei", email="lilei@example.com", language=language
    )
    visit = project.visits.get(phase="closing")
    (link,) = invite_contacts(
        visit=visit, contacts=[contact], invited_by=project.manager, base_url=live_server.url
    )
    return urlparse(link.url).path


def _pick(page: Any, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_text(answer, exact=True).click()


def test_contact_answers_in_chinese_on_a_phone(
    make_page: Any, live_server: Any, project: Project
) -> None:
    path = _survey_path(project, live_server, "zh-hans")
    page = make_page(locale="zh-CN", viewport=PHONE)
    page.goto(path)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "客户满意度调查"
    for question in ("总体而言，您对本项目满意吗？", "您对交付成果的质量满意吗？"):
        _pick(page, question, "5")
    for question in (
        "您对项目进度满意吗？",
        "您对我们的沟通满意吗？",
        "您对我们的服务态度满意吗？",
    ):
        _pick(page, question, "4")
    _pick(page, "您有多大可能向同事或朋友推荐我们？", "10")
    page.get_by_label("您对我们的团队有什么建议？").fill("保持每周沟通")
    # The page fits the phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="提交答复").click()
    assert page.get_by_test_id("survey-result").inner_text() == "感谢您的答复！"
    feedback = Feedback.objects.get()
    assert feedback.source == FeedbackSource.SURVEY
    assert (feedback.overall_satisfaction, feedback.likelihood_to_recommend) == (5, 10)
    assert feedback.suggestions == "保持每周沟通"


def test_contact_switches_to_english_and_answers_with_the_keyboard(
    make_page: Any, live_server: Any, project: Project
) -> None:
    path = _survey_path(project, live_server, "zh-hans")
    page = make_page(locale="zh-CN", viewport=PHONE)
    page.goto(path)
    page.get_by_test_id("language-switch").click()
    assert page.locator("html").get_attribute("lang") == "en"
    # Keyboard only for the first question: focus the radio group, arrow to 4.
    overall = page.get_by_role("group", name="Overall, how satisfied are you with this project?")
    overall.get_by_role("radio", name="3").focus()
    page.keyboard.press("ArrowRight")
    assert overall.get_by_role("radio", name="4").is_checked()
    for question in (
        "How satisfied are you with the quality of the work delivered?",
        "How satisfied are you with the project schedule?",
        "How satisfied are you with our communication?",
        "How satisfied are you with our service?",
    ):
        _pick(page, question, "4")
    page.get_by_role("button", name="Send my answers").click()
    # A required question left out: the answers so far are kept, the error shown.
    assert page.get_by_role("alert").inner_text() == "Please answer the questions marked below."
    assert overall.get_by_role("radio", name="4").is_checked()
    _pick(page, "How likely are you to recommend us to a colleague or friend?", "8")
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_test_id("survey-result").inner_text() == "Thank you for your answers!"
    assert SurveyResponse.objects.get().language == "en"
    page.goto(path + "?lang=en")
    assert page.get_by_test_id("survey-result").inner_text() == (
        "Thank you, this survey has already been answered."
    )


def test_survey_works_without_javascript(
    make_page: Any, live_server: Any, project: Project
) -> None:
    path = _survey_path(project, live_server, "en")
    page = make_page(viewport=PHONE, java_script_enabled=False)
    page.goto(path)
    for question in (
        "Overall, how satisfied are you with this project?",
        "How satisfied are you with the quality of the work delivered?",
        "How satisfied are you with the project schedule?",
        "How satisfied are you with our communication?",
        "How satisfied are you with our service?",
    ):
        _pick(page, question, "2")
    _pick(page, "How likely are you to recommend us to a colleague or friend?", "3")
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_test_id("survey-result").inner_text() == "Thank you for your answers!"
    assert Feedback.objects.get().likelihood_to_recommend == 3


def test_survey_loads_nothing_from_another_host(
    make_page: Any, live_server: Any, project: Project
) -> None:
    path = _survey_path(project, live_server, "zh-hans")
    page = make_page(viewport=PHONE)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(path)
    page.wait_for_load_state("networkidle")
    references = page.eval_on_selector_all(
        "script[src], link[href], img[src]",
        "nodes => nodes.map(n => n.getAttribute('src') || n.getAttribute('href'))",
    )
    assert references
    assert [ref for ref in references if "//" in ref or ref.startswith("data:")] == []
    origin = live_server.url
    assert [url for url in requested if not url.startswith(origin)] == []
