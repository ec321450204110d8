"""Survey URLs. Mounted at the site root so the public page keeps its short address
(``/s/<token>/``) while staff pages live under ``/surveys/`` in the same namespace."""

from django.urls import path

from huifang.surveys import staff_views, views

app_name = "surveys"

urlpatterns = [
    path("s/<str:token>/", views.answer, name="answer"),
    path("surveys/", staff_views.tracking, name="tracking"),
    path(
        "surveys/project/<int:project_pk>/",
        staff_views.project_tracking_page,
        name="project_tracking",
    ),
    path("surveys/visit/<int:visit_pk>/invite/", staff_views.invite, name="invite"),
    path("surveys/invitation/<int:pk>/resend/", staff_views.resend, name="resend"),
    path("surveys/invitation/<int:pk>/link/", staff_views.new_link, name="new_link"),
    path("surveys/invitation/<int:pk>/revoke/", staff_views.revoke, name="revoke"),
    path("surveys/questionnaires/", staff_views.questionnaires, name="questionnaires"),
    path(
        "surveys/questionnaires/<int:pk>/",
        staff_views.questionnaire_detail,
        name="questionnaire_detail",
    ),
    path(
        "surveys/questionnaires/<slug:phase>/edit/",
        staff_views.questionnaire_edit,
        name="questionnaire_edit",
    ),
]
