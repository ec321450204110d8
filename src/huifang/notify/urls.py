from django.urls import path

app_name = "notify"

urlpatterns: list = []

__all__ = ["path", "urlpatterns"]
