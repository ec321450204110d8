"""Survey URLs. Mounted at the site root so the public page keeps its short address
(``/s/<token>/``) while staff pages live under ``/surveys/`` in the same namespace."""

from django.urls import path

from huifang.surveys import views, views_staff

app_name = "surveys"

urlpatterns = [
    path("s/<str:token>/", views.answer, name="answer"),
    path("surveys/", views_staff.tracking, name="tracking"),
    path(
        "surveys/project/<int:project_pk>/",
        views_staff.project_tracking_page,
        name="project_tracking",
    ),
    path("surveys/visit/<int:visit_pk>/invite/", views_staff.invite, name="invite"),
    path("surveys/invitation/<int:pk>/resend/", views_staff.resend, name="resend"),
    path("surveys/invitation/<int:pk>/link/", views_staff.new_link, name="new_link"),
    path("surveys/invitation/<int:pk>/revoke/", views_staff.revoke, name="revoke"),
    path("surveys/questionnaires/", views_staff.questionnaires, name="questionnaires"),
    path(
        "surveys/questionnaires/<int:pk>/",
        views_staff.questionnaire_detail,
        name="questionnaire_detail",
    ),
    path(
        "surveys/questionnaires/<slug:phase>/edit/",
        views_staff.questionnaire_edit,
        name="questionnaire_edit",
    ),
]
