"""Forms of the login page, the users page and the profile page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from huifang.core.concurrency import VersionedFormMixin
from huifang.core.forms import LanguageSelect, StyledFormMixin
from huifang.core.models import Language, Role, User

# Set on the request by the directory backend (core/directory.py) when the company
# directory could not be asked during this sign-in.
DIRECTORY_FAILED = "huifang_directory_failed"


class LoginForm(AuthenticationForm):
    """Django's login form, except that a refusal while the company directory could
    not be reached says so: the person's password may well be right."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError as error:
            if not getattr(self.request, DIRECTORY_FAILED, False):
                raise
            raise ValidationError(
                _(
                    "Your username and password could not be checked: the company "
                    "directory did not answer. If you sign in with your company "
                    "account, try again in a few minutes or tell your IT department."
                ),
                code="directory_unreachable",
            ) from error


class UserCreateForm(StyledFormMixin, forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=80, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    department = forms.CharField(label=_("Department"), max_length=80, required=False)
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            candidate = User(
                username=cleaned.get("username", ""),
                email=cleaned.get("email", ""),
                display_name=cleaned.get("display_name", ""),
            )
            try:
                validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


class UserEditForm(VersionedFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "email", "role", "department", "is_active")
        labels = {"is_active": _("Active (may sign in)")}


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices]
    )
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Active and inactive")),
            ("yes", pgettext_lazy("switched on", "Active")),
            ("no", _("Inactive")),
        ],
    )


class ProfileForm(VersionedFormMixin, StyledFormMixin, forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Follow the browser")), *Language.choices],
        widget=LanguageSelect,
    )

    class Meta:
        model = User
        fields = ("display_name", "email", "language")


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    """Django's own password change, with the app's form styling."""
