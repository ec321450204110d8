import logging

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from huifang.core.cache import release
from huifang.core.error_reporting import start_error_reporting


class CoreConfig(AppConfig):
    name = "huifang.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created  # Django's ready() idiom
        from django.db.models.signals import post_migrate

        from huifang.core.dataversion import watch_connection  # imports models: apps first
        from huifang.core.monthversions import install_triggers

        connection_created.connect(watch_connection, dispatch_uid="huifang-dataversion")
        # After every migrate, not in a migration: SQLite drops a table's triggers
        # whenever a later migration rebuilds the table.
        post_migrate.connect(install_triggers, dispatch_uid="huifang-month-triggers")

        release()  # derived here, once, rather than by the first request that caches

        if settings.HUIFANG_LOG_FORMAT == "json":
            # Python's warnings (a deprecation, a missing static folder) would otherwise
            # be bare lines on stderr among the JSON ones; as records they are JSON too.
            logging.captureWarnings(True)
        if settings.HUIFANG_SENTRY_DSN:
            start_error_reporting(
                dsn=settings.HUIFANG_SENTRY_DSN,
                environment=settings.HUIFANG_SENTRY_ENVIRONMENT,
                release=settings.HUIFANG_SENTRY_RELEASE,
            )

        _hide_unused_sign_in_models()


def _hide_unused_sign_in_models() -> None:
    """django-allauth's admin pages for what Huifang does not use: providers come from
    the environment (huifang/sso_settings.py), not SocialApp rows; no provider token is
    kept; a user's e-mail address is their own field. The sign-on links
    (SocialAccount) and the two-factor authenticators stay: an administrator unlinks
    or resets them there. The admin site has loaded every app's admin module by now
    (django.contrib.admin is ready before this app)."""
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialApp, SocialToken
    from django.contrib import admin

    for model in (SocialApp, SocialToken, EmailAddress):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
