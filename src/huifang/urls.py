"""The URL map. Each area owns its own urls module; this file only mounts them."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from huifang.core import views as core_views
from huifang.core import views_sso, views_two_factor
from huifang.demo import views_bench
from huifang.monitoring import views as monitoring_views
from huifang.workspace import views as workspace_views

# A lock error raised outside a view answers 503, not 500 (core/busy.py).
handler500 = "huifang.core.busy.server_error"

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("login/", views_sso.LoginView.as_view(), name="login"),
    path("login/code/", views_two_factor.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", monitoring_views.metrics, name="metrics"),
    # Browsers and feed readers ask for /favicon.ico whatever the page links to.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("huifang/favicon.svg"), http_method_names=["get", "head"]),
        name="favicon",
    ),
    path("projects/", include("huifang.projects.urls")),
    path("customers/", include("huifang.customers.urls")),
    path("visits/", include("huifang.visits.urls")),
    path("actions/", include("huifang.actions.urls")),
    path("calendar/", include("huifang.workspace.calendar_urls")),
    path("policy/", include("huifang.policy.urls")),
    path("users/", include("huifang.core.accounts_urls")),
    path("notifications/", include("huifang.notify.urls")),
    path("", include("huifang.surveys.urls")),  # /s/<token>/ and /surveys/...
    path("insights/", include("huifang.insights.urls")),
    path("api/v1/", include("huifang.api.urls")),
    path("transfer/", include("huifang.transfer.urls")),
    # The admin signs in through the login page, so its password sign-in asks for the
    # second factor too (core/two_factor.py) instead of opening a session by itself.
    path("admin/login/", views_two_factor.admin_login),
    path("admin/", admin.site.urls),
    # Single sign-on: the identity providers' login and callback URLs only.
    path("accounts/", include("huifang.core.sso_urls")),
]

if settings.DEBUG or settings.HUIFANG_BENCH:
    # The load benchmark's ceiling: a constant through the same middleware and login.
    urlpatterns.append(path("bench/ceiling", views_bench.ceiling, name="bench_ceiling"))
    urlpatterns.append(
        path("bench/data-changed", views_bench.data_changed, name="bench_data_changed")
    )
if settings.HUIFANG_BENCH:
    # The benchmark's working-day writer: never on a demo or development server.
    urlpatterns.append(path("bench/working-day", views_bench.working_day, name="bench_working_day"))
    urlpatterns.append(
        path("bench/visit-recorded", views_bench.visit_recorded, name="bench_visit_recorded")
    )

# Friendly error pages in the base layout (core/views_errors.py).
handler403 = "huifang.core.views_errors.forbidden"
handler404 = "huifang.core.views_errors.not_found"
handler500 = "huifang.core.views_errors.server_error"
