"""The app's URLs plus one view that fails, for the error-reporting test."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from huifang.urls import urlpatterns as app_urlpatterns

handler500 = "huifang.core.views_errors.server_error"

FAILURE = "the follow-up report could not be built"


@csrf_exempt  # a form post reaches the view whatever the test's cookies
def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(FAILURE)


urlpatterns = [path("fail/", fail, name="fail"), *app_urlpatterns]
