from django.urls import path

app_name = "visits"

urlpatterns: list = []

__all__ = ["path", "urlpatterns"]
