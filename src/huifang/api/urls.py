from django.urls import path

from huifang.api import views
from huifang.api.api import api

app_name = "api"

urlpatterns = [
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    *api.urls[0],
]
