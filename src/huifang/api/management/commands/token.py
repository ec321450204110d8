"""``huifang token create USER [--name N] [--expires-days D]`` and
``huifang token revoke ID``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huifang.api import tokens
from huifang.api.models import ApiToken
from huifang.core.errors import DomainError
from huifang.core.models import User


class Command(BaseCommand):
    help = "Create or revoke personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("user", help="username or e-mail")
        create.add_argument("--name", default="cli")
        create.add_argument("--expires-days", type=int, default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token by id.")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self._create(options)
        else:
            self._revoke(options["id"])

    def _create(self, options: dict[str, Any]) -> None:
        name = options["user"]
        user = (
            User.objects.filter(username=name).first()
            or User.objects.filter(email__iexact=name).first()
        )
        if user is None:
            raise CommandError(f"No user {name!r}.")
        try:
            issued = tokens.create_api_token(
                user=user, name=options["name"], expires_days=options["expires_days"]
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stderr.write(f"Token {issued.token.pk} for {user.username} (shown once):")
        self.stdout.write(issued.raw)

    def _revoke(self, pk: int) -> None:
        token = ApiToken.objects.filter(pk=pk).first()
        if token is None:
            raise CommandError(f"No token {pk}.")
        tokens.revoke_api_token(token=token)
        self.stdout.write(f"Token {pk} revoked.")
