"""Only the provider URLs of django-allauth, under /accounts/ (the URL names are the
ones allauth reverses): /accounts/oidc/<id>/login/ and …/login/callback/,
/accounts/dingtalk/login/…, /accounts/feishu/login/…. allauth's account, sign-up and
connection pages are not mounted."""

from allauth.socialaccount.providers.dingtalk import views as dingtalk
from allauth.socialaccount.providers.feishu import views as feishu
from allauth.socialaccount.providers.openid_connect import views as openid_connect
from django.urls import path

from huifang.core.views_sso import provider_view

urlpatterns = [
    path(
        "oidc/<str:provider_id>/login/",
        provider_view(openid_connect.login, start=True),
        name="openid_connect_login",
    ),
    path(
        "oidc/<str:provider_id>/login/callback/",
        provider_view(openid_connect.callback, start=False),
        name="openid_connect_callback",
    ),
    path(
        "dingtalk/login/",
        provider_view(dingtalk.oauth2_login, provider="dingtalk", start=True),
        name="dingtalk_login",
    ),
    path(
        "dingtalk/login/callback/",
        provider_view(dingtalk.oauth2_callback, provider="dingtalk", start=False),
        name="dingtalk_callback",
    ),
    path(
        "feishu/login/",
        provider_view(feishu.oauth2_login, provider="feishu", start=True),
        name="feishu_login",
    ),
    path(
        "feishu/login/callback/",
        provider_view(feishu.oauth2_callback, provider="feishu", start=False),
        name="feishu_callback",
    ),
]
