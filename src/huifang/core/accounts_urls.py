from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from huifang.core import account_views
from huifang.core.account_forms import StyledPasswordChangeForm

app_name = "accounts"

urlpatterns = [
    path("", account_views.users, name="users"),
    path("new/", account_views.user_create, name="user_create"),
    path("<int:pk>/", account_views.user_edit, name="user_edit"),
    path("<int:pk>/deactivate/", account_views.user_deactivate, name="user_deactivate"),
    path("profile/", account_views.profile, name="profile"),
    path(
        "profile/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            form_class=StyledPasswordChangeForm,
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "profile/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
]
