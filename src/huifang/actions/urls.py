from django.urls import path

app_name = "actions"

urlpatterns: list = []

__all__ = ["path", "urlpatterns"]
