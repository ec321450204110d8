from django.urls import path

from huifang.visits import views

app_name = "visits"

urlpatterns = [
    path("", views.visit_list, name="list"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("<int:pk>/record/", views.record_visit, name="record"),
    path("<int:pk>/amend/", views.amend_record, name="amend"),
    path("<int:pk>/schedule/", views.book, name="schedule"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/reassign/", views.reassign, name="reassign"),
    path("<int:pk>/attachments/", views.upload_attachment, name="upload"),
    path("new/<int:project_pk>/", views.adhoc, name="adhoc"),
    path("attachments/<int:pk>/", views.download_attachment, name="attachment"),
    path("attachments/<int:pk>/delete/", views.remove_attachment, name="attachment_delete"),
]
