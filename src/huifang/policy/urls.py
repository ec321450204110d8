from django.urls import path

app_name = "policy"

urlpatterns: list = []

__all__ = ["path", "urlpatterns"]
