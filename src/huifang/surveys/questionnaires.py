"""Writes to questionnaires: the default one and new versions edited by quality
managers. A version is never changed after it is created; editing publishes the next
number, so answers stay tied to the exact questions that were asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from huifang.core.concurrency import check_version, version_token
from huifang.core.errors import DomainError
from huifang.policy.models import PhaseChoices
from huifang.surveys.models import FeedbackField, Question, QuestionKind, Questionnaire

if TYPE_CHECKING:
    from huifang.core.models import User


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    text_zh: str
    text_en: str
    required: bool = True
    maps_to: str = ""
    options: list[dict[str, str]] = field(default_factory=list)


DEFAULT_TITLE = ("客户满意度调查", "Customer satisfaction survey")
DEFAULT_INTRO = (
    "感谢您与我们合作。请花两分钟告诉我们您对本项目的看法，您的意见将帮助我们改进工作。",
    "Thank you for working with us. Please take two minutes to tell us what you think "
    "of this project; your answers help us improve.",
)

# The seed's customer feedback (三): satisfaction, evaluation and suggestions, plus
# the dimensions and the recommendation question the metrics are built on.
DEFAULT_QUESTIONS: tuple[QuestionSpec, ...] = (
    QuestionSpec(
        "overall",
        QuestionKind.RATING,
        "总体而言，您对本项目满意吗？",
        "Overall, how satisfied are you with this project?",
        True,
        FeedbackField.OVERALL,
    ),
    QuestionSpec(
        "quality",
        QuestionKind.RATING,
        "您对交付成果的质量满意吗？",
        "How satisfied are you with the quality of the work delivered?",
        True,
        FeedbackField.QUALITY,
    ),
    QuestionSpec(
        "schedule",
        QuestionKind.RATING,
        "您对项目进度满意吗？",
        "How satisfied are you with the project schedule?",
        True,
        FeedbackField.SCHEDULE,
    ),
    QuestionSpec(
        "communication",
        QuestionKind.RATING,
        "您对我们的沟通满意吗？",
        "How satisfied are you with our communication?",
        True,
        FeedbackField.COMMUNICATION,
    ),
    QuestionSpec(
        "service",
        QuestionKind.RATING,
        "您对我们的服务态度满意吗？",
        "How satisfied are you with our service?",
        True,
        FeedbackField.SERVICE,
    ),
    QuestionSpec(
        "recommend",
        QuestionKind.RECOMMEND,
        "您有多大可能向同事或朋友推荐我们？",
        "How likely are you to recommend us to a colleague or friend?",
        True,
        FeedbackField.RECOMMEND,
    ),
    QuestionSpec(
        "evaluation",
        QuestionKind.TEXT,
        "您如何评价项目成果？",
        "How do you evaluate the results of the project?",
        False,
        FeedbackField.EVALUATION,
    ),
    QuestionSpec(
        "suggestions",
        QuestionKind.TEXT,
        "您对我们的团队有什么建议？",
        "What would you suggest to our team?",
        False,
        FeedbackField.SUGGESTIONS,
    ),
)


def _check(questions: list[QuestionSpec]) -> None:
    if not questions:
        raise DomainError(_("A questionnaire needs at least one question."))
    keys = [question.key for question in questions]
    if len(set(keys)) != len(keys):
        raise DomainError(_("Each question needs its own key."))
    targets = [question.maps_to for question in questions if question.maps_to]
    if len(set(targets)) != len(targets):
        raise DomainError(_("Two questions cannot be stored in the same feedback field."))
    for question in questions:
        if question.kind not in QuestionKind.values:
            raise DomainError(_("Unknown question type “%(kind)s”.") % {"kind": question.kind})
        if not question.text_zh.strip() or not question.text_en.strip():
            raise DomainError(_("Every question needs a Chinese and an English text."))
        if question.kind == QuestionKind.CHOICE and len(question.options) < 2:
            raise DomainError(
                _("The single-choice question “%(key)s” needs at least two options.")
                % {"key": question.key}
            )
        if question.maps_to and not _fits(question.kind, question.maps_to):
            raise DomainError(
                _("The answer to “%(key)s” does not fit the feedback field it is stored in.")
                % {"key": question.key}
            )


_SCORE_FIELDS = {
    FeedbackField.OVERALL,
    FeedbackField.QUALITY,
    FeedbackField.SCHEDULE,
    FeedbackField.COMMUNICATION,
    FeedbackField.SERVICE,
}
_TEXT_FIELDS = {FeedbackField.EVALUATION, FeedbackField.SUGGESTIONS, FeedbackField.REQUIREMENTS}


def _fits(kind: str, maps_to: str) -> bool:
    if maps_to in _SCORE_FIELDS:
        return kind == QuestionKind.RATING
    if maps_to == FeedbackField.RECOMMEND:
        return kind == QuestionKind.RECOMMEND
    if maps_to in _TEXT_FIELDS:
        return kind in {QuestionKind.TEXT, QuestionKind.CHOICE}
    return False


@transaction.atomic
def publish_questionnaire(
    *,
    phase: str,
    title_zh: str,
    title_en: str,
    questions: list[QuestionSpec],
    created_by: User | None,
    intro_zh: str = "",
    intro_en: str = "",
    change_note: str = "",
    expected_version: str | None = None,
) -> Questionnaire:
    """The next version of the questionnaire for ``phase`` ("" = any phase). With
    ``expected_version`` (the edit page's form) a version published since the page
    was loaded is not silently replaced by one built on the older version."""
    if phase and phase not in PhaseChoices.values:
        raise DomainError(_("Unknown phase “%(phase)s”.") % {"phase": phase})
    if not title_zh.strip() or not title_en.strip():
        raise DomainError(_("Give the questionnaire a Chinese and an English title."))
    _check(questions)
    # Lock the phase's versions so two editors cannot both take the same number
    # (the unique constraint would refuse the second anyway).
    existing = Questionnaire.objects.select_for_update().filter(phase=phase)
    check_version(current=questionnaire_version(phase), expected=expected_version)
    number = (existing.aggregate(top=Max("number"))["top"] or 0) + 1
    questionnaire = Questionnaire.objects.create(
        phase=phase,
        number=number,
        title_zh=title_zh.strip(),
        title_en=title_en.strip(),
        intro_zh=intro_zh.strip(),
        intro_en=intro_en.strip(),
        change_note=change_note.strip(),
        created_by=created_by,
    )
    Question.objects.bulk_create(
        Question(
            questionnaire=questionnaire,
            position=position,
            key=spec.key,
            kind=spec.kind,
            required=spec.required,
            text_zh=spec.text_zh.strip(),
            text_en=spec.text_en.strip(),
            options=spec.options if spec.kind == QuestionKind.CHOICE else [],
            maps_to=spec.maps_to,
        )
        for position, spec in enumerate(questions, start=1)
    )
    return questionnaire


def questionnaire_version(phase: str) -> str:
    """The version of a phase's edit page (see :mod:`huifang.core.concurrency`): the
    version it starts from, the phase's latest or else the latest for any phase.
    Versions never change once published, so their id is their content."""
    for candidate in (phase, ""):
        latest = (
            Questionnaire.objects.filter(phase=candidate)
            .order_by("-number")
            .values_list("pk", flat=True)
            .first()
        )
        if latest is not None:
            return version_token("questionnaire", phase, latest)
    return version_token("questionnaire", phase, None)


@transaction.atomic
def ensure_default_questionnaire() -> Questionnaire:
    """The questionnaire for any phase, created with the default questions the first
    time (idempotent: later calls return the current version unchanged)."""
    current = Questionnaire.objects.filter(phase="").order_by("-number").first()
    if current is not None:
        return current
    return publish_questionnaire(
        phase="",
        title_zh=DEFAULT_TITLE[0],
        title_en=DEFAULT_TITLE[1],
        intro_zh=DEFAULT_INTRO[0],
        intro_en=DEFAULT_INTRO[1],
        questions=list(DEFAULT_QUESTIONS),
        created_by=None,
        change_note="",
    )


def question_specs(questionnaire: Questionnaire) -> list[QuestionSpec]:
    """A version's questions as specs, the starting point for the next version."""
    return [
        QuestionSpec(
            key=question.key,
            kind=question.kind,
            text_zh=question.text_zh,
            text_en=question.text_en,
            required=question.required,
            maps_to=question.maps_to,
            options=list(question.options),
        )
        for question in questionnaire.questions.all()
    ]


def parse_options(text: str) -> list[dict[str, Any]]:
    """Options typed one per line as ``value | 中文 | English``."""
    options = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise DomainError(
                _(
                    "Write each option on its own line as "
                    "“value | Chinese label | English label”: %(line)s"
                )
                % {"line": line.strip()}
            )
        options.append({"value": parts[0], "zh": parts[1], "en": parts[2]})
    return options


def format_options(options: list[dict[str, Any]]) -> str:
    return "\n".join(f"{o['value']} | {o['zh']} | {o['en']}" for o in options)
