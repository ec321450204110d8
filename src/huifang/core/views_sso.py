"""The login page (password and single sign-on) and the guard around allauth's
provider views (huifang.core.sso_urls)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from huifang.core import sso, two_factor
from huifang.core.account_forms import LoginForm
from huifang.core.views_two_factor import start_second_step


class LoginView(auth_views.LoginView):
    """Django's login view with the configured identity providers' buttons. With
    HUIFANG_LOCAL_LOGIN=0 the password form shows only at ?local=1, where only
    superusers can use it (huifang.core.sso.PasswordBackend)."""

    template_name = "core/login.html"
    # Says so when the company directory did not answer (LDAP sign-in).
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        local = sso.local_login_enabled()
        break_glass = not local and self.request.GET.get("local") == "1"
        context.update(
            providers=sso.provider_buttons(self.request),
            show_password_form=local or break_glass or self.request.method == "POST",
            break_glass=break_glass,
        )
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        # With two-factor sign-in on, the right password only leads to the code.
        user = form.get_user()
        if two_factor.has_totp(user):
            return start_second_step(self.request, user, next_url=self.get_success_url())
        return super().form_valid(form)


def provider_view(
    view: Callable[..., HttpResponse], *, provider: str = "", start: bool
) -> Callable[..., HttpResponse]:
    """allauth's login or callback view of ``provider``, answering 404 while that
    provider is not configured. A sign-in starts with a POST from the login page's
    button (allauth refuses to start one on GET); a GET of the start URL leads back
    to the login page instead of allauth's own confirmation page."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # An OpenID Connect app is named by the URL's provider_id.
        if (provider or kwargs.get("provider_id")) not in sso.configured_provider_ids(request):
            raise Http404
        if start and request.method != "POST":
            return redirect("login")
        return view(request, *args, **kwargs)

    return guarded
