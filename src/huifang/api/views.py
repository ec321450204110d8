"""The personal API token page (linked from the profile): list, create, revoke."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from huifang.api import tokens
from huifang.api.models import ApiToken
from huifang.core import access
from huifang.core.errors import DomainError
from huifang.core.forms import StyledFormMixin


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=tokens.MAX_EXPIRY_DAYS,
        help_text=_("Leave empty for a token that does not expire."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = tokens.create_api_token(
                user=user,
                name=form.cleaned_data["name"],
                expires_days=form.cleaned_data["expires_days"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            form = TokenForm()
    return render(
        request,
        "api/token_list.html",
        {
            "form": form,
            "issued": issued,
            "tokens": ApiToken.objects.filter(user=user),
        },
    )


@login_required
@require_http_methods(["POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = access.signed_in_user(request)
    token = get_object_or_404(ApiToken.objects.filter(user=user), pk=pk)
    tokens.revoke_api_token(token=token)
    return redirect("api:tokens")
