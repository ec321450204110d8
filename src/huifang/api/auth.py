"""Who is calling: a personal bearer token, or the browser's session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer, SessionAuth

from huifang.api.tokens import user_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
            # The session's language middleware ran before we knew who was calling.
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
        return user


class SessionWithCsrf(SessionAuth):
    """Django's session; unsafe methods need the CSRF token (same-site calls)."""

    def __init__(self) -> None:
        super().__init__(csrf=True)


AUTH = [TokenAuth(), SessionWithCsrf()]
