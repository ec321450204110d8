from django.urls import path

app_name = "customers"

urlpatterns: list = []

__all__ = ["path", "urlpatterns"]
