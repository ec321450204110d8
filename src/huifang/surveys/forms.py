"""Forms: the customer's answer form (built from the questionnaire) and the staff
forms for inviting contacts and editing questionnaires."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.core.concurrency import VersionedFormMixin
from huifang.core.errors import DomainError
from huifang.core.forms import StyledFormMixin, cache_choices, guard_fields
from huifang.core.models import Language
from huifang.customers.models import Contact
from huifang.policy.models import PhaseChoices
from huifang.surveys.models import FeedbackField, Question, QuestionKind, Questionnaire
from huifang.surveys.questionnaires import QuestionSpec, format_options, parse_options


def _scale(low: int, high: int) -> list[tuple[str, str]]:
    return [(str(value), str(value)) for value in range(low, high + 1)]


class SurveyForm(forms.Form):
    """One field per question, named ``q_<key>``, labelled in ``language``."""

    def __init__(self, *args: Any, questionnaire: Questionnaire, language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.questions: list[Question] = list(questionnaire.questions.all())
        self.language = language
        for question in self.questions:
            self.fields[f"q_{question.key}"] = self._field(question)

    def _field(self, question: Question) -> forms.Field:
        label = question.text(self.language)
        required = question.required
        if question.kind == QuestionKind.TEXT:
            return forms.CharField(
                label=label,
                required=required,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
            )
        if question.kind == QuestionKind.RATING:
            choices = _scale(1, 5)
        elif question.kind == QuestionKind.RECOMMEND:
            choices = _scale(0, 10)
        else:
            key = "en" if self.language == Language.EN else "zh"
            choices = [(str(option["value"]), option[key]) for option in question.options]
        return forms.ChoiceField(
            label=label, required=required, choices=choices, widget=forms.RadioSelect
        )

    def items(self) -> list[tuple[Question, forms.BoundField]]:
        return [(question, self[f"q_{question.key}"]) for question in self.questions]

    def answers(self) -> dict[str, Any]:
        """Cleaned answers by question key: scores as integers, blanks left out."""
        result: dict[str, Any] = {}
        for question in self.questions:
            value = str(self.cleaned_data.get(f"q_{question.key}") or "").strip()
            if not value:
                continue
            scored = question.kind in {QuestionKind.RATING, QuestionKind.RECOMMEND}
            result[question.key] = int(value) if scored else value
        return result


class ContactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        email = obj.email or str(_("no e-mail: share the link or QR code"))
        return f"{obj} · {email}"


class InviteForm(forms.Form):
    # Not StyledFormMixin: it validates during __init__ (it reads self.errors), before
    # the contact choices below are narrowed to the project's customer.
    contacts = ContactChoiceField(
        label=_("Contacts to invite"),
        queryset=Contact.objects.none(),
        # The page writes each box out itself (surveys/invite.html).
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, customer_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["contacts"])
        field.queryset = Contact.objects.filter(customer_id=customer_id).order_by(
            "-is_primary", "name"
        )
        guard_fields(self.fields)
        cache_choices(self.fields)


class QuestionnaireForm(VersionedFormMixin, StyledFormMixin, forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    intro_zh = forms.CharField(
        label=_("Introduction (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    intro_en = forms.CharField(
        label=_("Introduction (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    change_note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    @staticmethod
    def initial_from(questionnaire: Questionnaire | None) -> dict[str, Any]:
        if questionnaire is None:
            return {}
        return {
            "title_zh": questionnaire.title_zh,
            "title_en": questionnaire.title_en,
            "intro_zh": questionnaire.intro_zh,
            "intro_en": questionnaire.intro_en,
        }


class QuestionForm(StyledFormMixin, forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=40)
    kind = forms.ChoiceField(label=_("Type"), choices=QuestionKind.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    text_zh = forms.CharField(label=_("Question (Chinese)"), max_length=300)
    text_en = forms.CharField(label=_("Question (English)"), max_length=300)
    options = forms.CharField(
        label=_("Options (single choice)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: value | Chinese label | English label"),
    )
    maps_to = forms.ChoiceField(
        label=_("Stored in feedback as"), choices=FeedbackField.choices, required=False
    )

    def has_changed(self) -> bool:
        # A <select> always submits one of its options, so the blank extra row would
        # count as changed (and fail as incomplete) because of its type alone: a row is
        # new only when something was typed into it.
        return bool({"key", "text_zh", "text_en", "options"} & set(self.changed_data))

    def clean_options(self) -> list[dict[str, Any]]:
        try:
            return parse_options(self.cleaned_data.get("options") or "")
        except DomainError as error:
            raise forms.ValidationError(error.message) from error

    def spec(self) -> QuestionSpec:
        data = self.cleaned_data
        return QuestionSpec(
            key=data["key"],
            kind=data["kind"],
            text_zh=data["text_zh"],
            text_en=data["text_en"],
            required=data["required"],
            maps_to=data.get("maps_to") or "",
            options=data["options"],
        )

    @staticmethod
    def initial_from(spec: QuestionSpec) -> dict[str, Any]:
        return {
            "key": spec.key,
            "kind": spec.kind,
            "required": spec.required,
            "text_zh": spec.text_zh,
            "text_en": spec.text_en,
            "options": format_options(spec.options),
            "maps_to": spec.maps_to,
        }


QuestionFormSet = forms.formset_factory(QuestionForm, extra=1, can_delete=True)


PHASE_SLUGS = {"any": "", **{value: value for value in PhaseChoices.values}}
