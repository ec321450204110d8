from django.urls import path

from huifang.insights import views, views_reviews, views_staff

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("management/", views.management_home, name="management"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("feedback/", views.feedback_summary, name="feedback"),
    path("projects/<int:pk>/report/", views.project_report, name="project_report"),
    path("projects/<int:pk>/report.pdf", views.project_report_pdf, name="project_report_pdf"),
    path("export/records/", views.export_records, name="export_records"),
    path("export/actions/", views.export_actions, name="export_actions"),
    path("reviews/", views_reviews.review_list, name="reviews"),
    path("reviews/new/", views_reviews.review_create, name="review_create"),
    path("reviews/<int:pk>/", views_reviews.review_detail, name="review"),
    path("reviews/<int:pk>/actions/", views_reviews.review_add_action, name="review_action"),
    path(
        "reviews/<int:pk>/revision/",
        views_reviews.review_propose_revision,
        name="review_revision",
    ),
    path("reviews/<int:pk>/report/", views_reviews.review_report, name="review_report"),
    path("reviews/<int:pk>/report.pdf", views_reviews.review_report_pdf, name="review_report_pdf"),
    path("reviews/<int:pk>/export/", views_reviews.review_export, name="review_export"),
    path("meetings/", views_reviews.meeting_list, name="meetings"),
    path("meetings/new/", views_reviews.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views_reviews.meeting_detail, name="meeting"),
    path("acknowledge/", views_staff.acknowledge, name="acknowledge"),
    path("acknowledgements/", views_staff.acknowledgements, name="acknowledgements"),
    path("training/", views_staff.training_list, name="trainings"),
    path("training/<int:pk>/", views_staff.training_detail, name="training"),
    path("suggestions/", views_staff.suggestion_list, name="suggestions"),
    path("suggestions/<int:pk>/answer/", views_staff.suggestion_answer, name="suggestion_answer"),
]
