"""The Python-written widgets give exactly the markup of Django's widget templates."""

from __future__ import annotations

import datetime
import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from huifang.core.form_renderer import FastWidgetRenderer
from huifang.core.models import User
from tests.factories import UserFactory

HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


class EverythingForm(forms.Form):
    text = forms.CharField(max_length=20, help_text="help")
    number = forms.IntegerField(min_value=0, required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    flag = forms.BooleanField(required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    choice = forms.ChoiceField(choices=[("", "---"), ("a", "Alpha"), ("b", HOSTILE)])
    grouped = forms.ChoiceField(
        choices=[("Group <1>", [("x", "Ex"), ("y", "Why")]), ("z", "Zed")], required=False
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)
    maybe = forms.NullBooleanField(required=False)
    person = forms.ModelChoiceField(queryset=User.objects.order_by("username"), required=False)
    disabled = forms.CharField(disabled=True, required=False)


def _normalise(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def _render_all(form: forms.Form) -> list[str]:
    return [_normalise(str(form[name])) for name in form.fields]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "text": HOSTILE,
            "number": "-3",
            "day": "2026-13-45",
            "secret": HOSTILE,
            "hidden": '"',
            "flag": "on",
            "note": HOSTILE,
            "choice": "b",
            "grouped": "y",
            "many": ["1", "2"],
            "maybe": "true",
            "person": "999999",
        },
    ],
    ids=["empty", "hostile-bound"],
)
def test_fast_widgets_match_django_templates(db: None, data: dict | None) -> None:
    UserFactory.create(username="ann", display_name=HOSTILE)
    initial = {"day": datetime.date(2026, 3, 2), "note": "first line\nsecond"}
    templates = EverythingForm(data, initial=initial, renderer=DjangoTemplates())
    fast = EverythingForm(data, initial=initial, renderer=FastWidgetRenderer())
    assert _render_all(fast) == _render_all(templates)


def test_hostile_labels_are_escaped(db: None) -> None:
    form = EverythingForm(renderer=FastWidgetRenderer())
    html = str(form["choice"])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


class PersonForm(forms.Form):
    who = forms.ModelChoiceField(queryset=User.objects.order_by("username"), empty_label="Anyone")
    team = forms.ModelMultipleChoiceField(queryset=User.objects.order_by("username"))


@pytest.mark.django_db
def test_cached_choices_render_and_validate_as_djangos_own() -> None:
    from huifang.core.forms import cache_choices

    first = UserFactory.create(username="a-first", display_name=HOSTILE)
    second = UserFactory.create(username="b-second")
    data = {"who": str(second.pk), "team": [str(first.pk), str(second.pk)]}
    for bound in (False, True):
        plain = PersonForm(data if bound else None)
        cached = PersonForm(data if bound else None)
        cache_choices(cached.fields)
        assert str(cached["who"]) == str(plain["who"])
        assert str(cached["team"]) == str(plain["team"])
    cached = PersonForm(data)
    cache_choices(cached.fields)
    assert cached.is_valid()
    assert cached.cleaned_data["who"] == second
    assert list(cached.cleaned_data["team"]) == [first, second]
    refused = PersonForm({"who": "999999", "team": []})
    cache_choices(refused.fields)
    assert not refused.is_valid()
    assert "who" in refused.errors
