from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from huifang.core import views_account, views_two_factor
from huifang.core.account_forms import StyledPasswordChangeForm

app_name = "accounts"

urlpatterns = [
    path("", views_account.users, name="users"),
    path("new/", views_account.user_create, name="user_create"),
    path("<int:pk>/", views_account.user_edit, name="user_edit"),
    path("<int:pk>/deactivate/", views_account.user_deactivate, name="user_deactivate"),
    path("profile/", views_account.profile, name="profile"),
    path("profile/two-factor/", views_two_factor.setup, name="two_factor"),
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
