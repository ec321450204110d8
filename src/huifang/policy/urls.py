from django.urls import path

from huifang.policy import views, views_national

app_name = "policy"

urlpatterns = [
    path("", views.current, name="current"),
    path("versions/", views.versions, name="versions"),
    path("versions/new/", views.new_draft, name="new_draft"),
    path("versions/<int:pk>/", views.version, name="version"),
    path("versions/<int:pk>/document.docx", views.version_docx, name="version_docx"),
    path("versions/<int:pk>/document.pdf", views.version_pdf, name="version_pdf"),
    path("versions/<int:pk>/edit/", views.edit_draft, name="edit_draft"),
    path("versions/<int:pk>/publish/", views.publish, name="publish"),
    path("company-days/", views.company_days, name="company_days"),
    path("national-days/", views_national.national_days, name="national_days"),
    path("company-days/<int:pk>/remove/", views.company_day_remove, name="company_day_remove"),
]
