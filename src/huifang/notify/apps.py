from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "huifang.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Imported here so that Celery's registry holds the tasks the services publish by
        # name (services.py cannot import them: the tasks sit above it).
        from huifang.notify import tasks  # noqa: F401 - imports models: apps first
