from django.urls import path

from huifang.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/hold/", views.project_hold, name="hold"),
    path("<int:pk>/resume/", views.project_resume, name="resume"),
    path("<int:pk>/complete/", views.project_complete, name="complete"),
    path("<int:pk>/cancel/", views.project_cancel, name="cancel"),
]
