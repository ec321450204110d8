from django.urls import path

from huifang.transfer import views

app_name = "transfer"

urlpatterns = [
    path("", views.index, name="index"),
    path("templates/<str:kind>.<str:fmt>", views.template, name="template"),
    path("import/preview/", views.preview, name="preview"),
    path("import/confirm/", views.confirm, name="confirm"),
    path("export/<str:kind>.<str:fmt>", views.export, name="export"),
]
