from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "huifang.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created  # Django's ready() idiom

        from huifang.core.dataversion import watch_connection  # imports models: apps first

        connection_created.connect(watch_connection, dispatch_uid="huifang-dataversion")

        from huifang.core.cache import release

        release()  # derived here, once, rather than by the first request that caches
