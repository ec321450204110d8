from django.urls import path

from huifang.workspace import views_calendar

app_name = "calendar"

urlpatterns = [
    path("", views_calendar.month, name="month"),
    path("week/", views_calendar.week, name="week"),
    path("feed/", views_calendar.feed_settings, name="feed_settings"),
    path("<str:token>.ics", views_calendar.feed, name="feed"),
]
