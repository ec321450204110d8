"""Huifang (回访): project follow-up visits."""

# The Celery app is created with the package so `@shared_task` tasks bind to it.
from huifang.celery import app as celery_app

__all__ = ["celery_app"]
