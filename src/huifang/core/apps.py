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

        from huifang.core.dataversion import watch_connection  # imports models: apps first

        connection_created.connect(watch_connection, dispatch_uid="huifang-dataversion")

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
