"""A real OpenID Connect provider for the single sign-on tests: a small Django site
with django-oauth-toolkit, run in its own process by ``python -m
tests.e2e.oidc_provider`` (tests/e2e/test_sso.py starts it). It has its own SQLite
database in a temporary directory, an RSA key made at start, one confidential client
(Huifang, with its callback URL) that must use PKCE, and the people in PEOPLE."""

# username → (e-mail, whether the provider vouches for the address)
PEOPLE = {
    "alice": ("alice@example.com", True),
    "stranger": ("stranger@example.com", True),
    "leaver": ("leaver@example.com", True),
    "mallory": ("alice@example.com", False),
}
PASSWORD = "provider-password"
CLIENT_ID = "huifang"
CLIENT_SECRET = "huifang-client-secret"
