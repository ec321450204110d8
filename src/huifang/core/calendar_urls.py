from django.urls import path

app_name = "calendar"

urlpatterns: list = []

__all__ = ["path", "urlpatterns"]
