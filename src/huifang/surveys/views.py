"""The public survey page ``/s/<token>/``: no login, the contact's language, works
without JavaScript (a plain form POST), and loads nothing from another host.

An unknown or tampered token is a bare 404 (``Http404`` with no detail), so the page
tells a guesser nothing; a known token whose invitation is closed says why."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from huifang.core import ratelimit
from huifang.core.errors import DomainError
from huifang.core.models import Language
from huifang.core.security import client_ip
from huifang.surveys.forms import SurveyForm
from huifang.surveys.models import InvitationState, SurveyInvitation
from huifang.surveys.services import find_invitation, record_opened, submit_survey_response

RATE_WINDOW_SECONDS = 600  # settings.HUIFANG_SURVEY_RATE_LIMIT submissions per ten minutes


def _language(request: HttpRequest, invitation: SurveyInvitation) -> str:
    """?lang= wins (the page's switch), else the contact's language. Not the session:
    a forwarded link must open in the contact's language for whoever taps it."""
    requested = request.GET.get("lang", "")
    if requested in Language.values:
        return requested
    return invitation.language if invitation.language in Language.values else Language.ZH_HANS


def _over_rate_limit(request: HttpRequest) -> bool:
    """Counted per client address where every web process sees it (the database
    without Redis). The address follows the login lockout's rule (``client_ip``):
    behind a trusted proxy REMOTE_ADDR is the proxy's, shared by every customer, so
    one holder of any link could otherwise block everybody's answers."""
    client = client_ip(request) or "unknown"
    posted = ratelimit.hit("survey-post", client, window=RATE_WINDOW_SECONDS)
    return posted > settings.HUIFANG_SURVEY_RATE_LIMIT


def _page(
    request: HttpRequest,
    template: str,
    invitation: SurveyInvitation,
    language: str,
    status: int = 200,
    **context: object,
) -> HttpResponse:
    with translation.override(language):
        response = render(
            request,
            f"surveys/public/{template}",
            {
                "invitation": invitation,
                "language": language,
                "other_language": Language.EN if language != Language.EN else Language.ZH_HANS,
                "title": invitation.questionnaire.title(language),
                "manager": invitation.project.manager,
                **context,
            },
            status=status,
        )
    response["Content-Language"] = language
    # The token is in the path: the site-wide "same-origin" referrer policy keeps it
    # from other hosts ("no-referrer" would make the browser send Origin: null with
    # the form, which CSRF protection rightly refuses).
    response["X-Robots-Tag"] = "noindex"
    return response


def _closed(request: HttpRequest, invitation: SurveyInvitation, language: str) -> HttpResponse:
    state = invitation.state()
    if state == InvitationState.ANSWERED:
        return _page(request, "answered.html", invitation, language)
    return _page(request, "closed.html", invitation, language, status=410, state=state)


@never_cache
@csrf_protect
def answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = find_invitation(token)
    if invitation is None:
        raise Http404
    language = _language(request, invitation)
    if request.method == "POST":
        if _over_rate_limit(request):
            return _page(request, "rate_limited.html", invitation, language, status=429)
        if not invitation.is_open:
            return _closed(request, invitation, language)
        with translation.override(language):
            form = SurveyForm(
                request.POST, questionnaire=invitation.questionnaire, language=language
            )
            valid = form.is_valid()
        if valid:
            try:
                submit_survey_response(
                    invitation=invitation, answers=form.answers(), language=language
                )
            except DomainError:
                # Someone answered (or it expired) between our check and the write.
                invitation.refresh_from_db()
                return _closed(request, invitation, language)
            return _page(request, "thanks.html", invitation, language)
        return _page(request, "form.html", invitation, language, status=400, form=form)
    if not invitation.is_open:
        return _closed(request, invitation, language)
    record_opened(invitation=invitation)
    with translation.override(language):
        form = SurveyForm(questionnaire=invitation.questionnaire, language=language)
    return _page(request, "form.html", invitation, language, form=form)
