"""The claims the test provider tells about a person."""

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from tests.e2e.oidc_provider import PEOPLE


class Validator(OAuth2Validator):
    # Every claim below goes into the ID token and the userinfo answer.
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        email, verified = PEOPLE.get(user.username, (user.email, False))
        return {
            "preferred_username": user.username,
            "name": user.get_full_name() or user.username,
            "email": email,
            "email_verified": verified,
        }
