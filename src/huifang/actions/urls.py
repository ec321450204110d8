from django.urls import path

from huifang.actions import views

app_name = "actions"

urlpatterns = [
    path("", views.action_board, name="board"),
    path("list/", views.action_list, name="list"),
    path("<int:pk>/", views.action_detail, name="detail"),
    path("<int:pk>/progress/", views.action_update, name="update"),
    path("<int:pk>/done/", views.action_done, name="done"),
]
