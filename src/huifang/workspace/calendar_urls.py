from django.urls import path

from huifang.workspace import calendar_views

app_name = "calendar"

urlpatterns = [
    path("", calendar_views.month, name="month"),
    path("week/", calendar_views.week, name="week"),
    path("feed/", calendar_views.feed_settings, name="feed_settings"),
    path("<str:token>.ics", calendar_views.feed, name="feed"),
]
