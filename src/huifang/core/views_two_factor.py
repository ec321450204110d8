"""Two-factor pages: the code asked after a password, and setting up an authenticator
app (huifang.core.two_factor)."""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from huifang.core import access, two_factor
from huifang.core.errors import DomainError
from huifang.core.models import User


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def start_second_step(request: HttpRequest, user: User, *, next_url: str) -> HttpResponse:
    """Called by the login page once the password is right, for a user with TOTP: the
    session is opened only after the code (login_code)."""
    request.session[two_factor.PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", ""),
        "next": next_url,
        "since": time.time(),
        "failures": 0,
    }
    return redirect("login_code")


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    pending = request.session.get(two_factor.PENDING_KEY)
    if not pending or time.time() - pending["since"] > two_factor.PENDING_SECONDS:
        request.session.pop(two_factor.PENDING_KEY, None)
        return redirect("login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(two_factor.PENDING_KEY, None)
        return redirect("login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if two_factor.verify_second_factor(user=user, code=form.cleaned_data["code"]):
            del request.session[two_factor.PENDING_KEY]
            login(request, user, backend=pending["backend"])
            next_url = pending["next"]
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = settings.LOGIN_REDIRECT_URL
            return redirect(next_url)
        pending["failures"] += 1
        if pending["failures"] >= two_factor.MAX_CODE_FAILURES:
            del request.session[two_factor.PENDING_KEY]
            return redirect("login")
        request.session[two_factor.PENDING_KEY] = pending
        form.add_error("code", _("That code is not right."))
        status = 400
    return render(request, "core/login_code.html", {"form": form}, status=status)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The Django admin's login, replaced by the login page (which asks for the code)."""
    next_url = request.GET.get("next", "/admin/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/admin/"
    return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Turn on two-factor sign-in: scan the QR code, confirm with a code, note the
    recovery codes (shown this once)."""
    user = access.signed_in_user(request)
    if two_factor.has_totp(user):
        left = {"unused_codes": two_factor.unused_recovery_codes(user)}
        return render(request, "accounts/two_factor_on.html", left)
    secret = request.session.get(two_factor.UNCONFIRMED_KEY) or two_factor.new_secret()
    request.session[two_factor.UNCONFIRMED_KEY] = secret
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.activate_totp(
                user=user, secret=secret, code=form.cleaned_data["code"]
            )
        except DomainError as error:
            form.add_error("code", error.message)
            status = 400
        else:
            del request.session[two_factor.UNCONFIRMED_KEY]
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    context = {
        "form": form,
        "secret": secret,
        "qr_code": two_factor.qr_code_svg(user, secret),
        "required": two_factor.is_required(user),
    }
    return render(request, "accounts/two_factor_setup.html", context, status=status)
