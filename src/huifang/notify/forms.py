from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from huifang.core.concurrency import VersionedFormMixin
from huifang.core.forms import StyledFormMixin
from huifang.notify.models import EndpointKind, NotificationPreference, WebhookEndpoint
from huifang.projects.models import Project


class PreferenceForm(VersionedFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email", "webhook", "weekly_digest"]


class WebhookEndpointForm(StyledFormMixin, forms.ModelForm):
    project = forms.ModelChoiceField(
        queryset=Project.objects.order_by("code"),
        required=False,
        label=_("Project"),
        empty_label=_("All projects"),
    )
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "kind", "url", "secret", "project", "is_active"]
        widgets = {"secret": forms.TextInput(attrs={"autocomplete": "off"})}

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind in (EndpointKind.DINGTALK, EndpointKind.FEISHU) and not cleaned.get("secret"):
            self.add_error(
                "secret", _("DingTalk and Feishu robots need their signing secret here.")
            )
        return cleaned


class WebhookEndpointEditForm(VersionedFormMixin, WebhookEndpointForm):
    """Edit: with the version of the endpoint the administrator saw."""


class NotificationFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    unread = forms.BooleanField(required=False, label=_("Unread only"))
