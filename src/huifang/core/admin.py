"""Admin for users, and the small helpers every app's admin module shares.

The Django admin is the operators' back office: it is gated by Django's own
``is_staff`` flag and model permissions (superusers see everything), not by
:mod:`huifang.core.access`, which decides what the product's own pages and API show.
Whatever the admin writes still goes through the domain services where one exists,
so the admin cannot put data into a state the services would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from huifang.core.calendar_feed import revoke_calendar_feed
from huifang.core.errors import DomainError
from huifang.core.models import CalendarFeed, User

# Where ServiceModelAdmin keeps a refused write's message between its two attempts.
_SERVICE_ERROR = "_huifang_service_error"


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff user behind an admin request, for services that record who
    acted. Admin views are behind a staff login, so anything else is a bug."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def adopt_saved(instance: Model, saved: Model) -> None:
    """Turn the admin's unsaved form instance into the row a service just wrote.

    The admin keeps using the instance it passed to ``save_model`` (inlines are
    attached to it, the log entry and the redirect read its pk), but services build
    and return their own object. Copying the saved object's state over keeps both
    views of the row identical, database-assigned values (pk, timestamps) included.
    """
    instance.__dict__.update(saved.__dict__)


@dataclass
class InlineRow:
    """One row an inline formset holds: the stored instance (None for a new row), the
    submitted values, and whether the user changed it."""

    instance: Model | None
    values: dict[str, Any]
    changed: bool


@dataclass
class InlineRows:
    kept: list[InlineRow] = field(default_factory=list)
    removed: list[Model] = field(default_factory=list)


def inline_rows(formset: BaseInlineFormSet, fields: tuple[str, ...]) -> InlineRows:
    """What an inline formset would write, for a service to write instead.

    ``kept`` lists every row that stays, stored or new (empty extra rows are not
    rows), with the submitted ``fields``; ``removed`` the stored rows ticked for
    deletion. The formset is marked as if it had saved itself, so the admin's
    history entry still says what was added, changed and deleted.
    """
    rows = InlineRows()
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    deleted = set(map(id, formset.deleted_forms)) if formset.can_delete else set()
    for form in formset.forms:
        instance = form.instance if form.instance.pk is not None else None
        if id(form) in deleted:
            if instance is not None:
                rows.removed.append(instance)
                formset.deleted_objects.append(instance)
            continue
        if instance is None and not form.has_changed():
            continue
        values = {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}
        rows.kept.append(InlineRow(instance, values, form.has_changed()))
        if instance is None:
            formset.new_objects.append(form.instance)
        elif form.has_changed():
            formset.changed_objects.append((instance, form.changed_data))
    return rows


class ServiceModelAdmin(admin.ModelAdmin):
    """A model admin whose ``save_model`` calls domain services.

    A service says no with a :class:`DomainError` that can depend on the database
    (who is on the team, what state a visit is in), which a form cannot foresee. The
    admin's change view runs in one transaction, so the refused attempt leaves
    nothing behind; we then render the same POST again with the service's message on
    the form, as if the form had found the problem itself.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            setattr(request, _SERVICE_ERROR, error.message)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        message = getattr(request, _SERVICE_ERROR, None)
        if message is None:
            return form_class
        refusal = str(message)

        class RefusedForm(form_class):  # type: ignore[misc,valid-type]
            def clean(self) -> Any:
                super().clean()
                raise ValidationError(refusal)

        return RefusedForm


class ReadOnlyAdminMixin:
    """For history rows (amendments, verifications): they are written by a workflow
    service and never edited afterwards, so the admin may only look at them. Works
    for model admins and inlines alike."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Django's user forms name auth.User in their Meta; ours is a swapped-in model.
class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("username",)
        field_classes = {"username": auth_forms.UsernameField}


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"username": auth_forms.UsernameField}


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = (
        "username",
        "display_name",
        "email",
        "role",
        "department",
        "language",
        "is_active",
        "is_staff",
        "last_login",
    )
    list_filter = ("role", "language", "is_active", "is_staff", "is_superuser", "department")
    search_fields = (
        "username",
        "display_name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "department",
    )
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {"fields": ("display_name", "first_name", "last_name", "email", "phone")},
        ),
        (_("Organisation"), {"fields": ("role", "department", "language")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (
            _("Organisation"),
            {
                "classes": ("wide",),
                "fields": ("display_name", "email", "role", "department", "language"),
            },
        ),
    )


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Only the token's hash is stored, so a feed cannot be made or shown here: its
    user makes it (and sees the URL once). An administrator can revoke one."""

    list_display = ("user", "created_at", "revoked_at")
    list_select_related = ("user",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "user__display_name", "user__email")
    fields = ("user", "created_at", "revoked_at")
    ordering = ("-created_at",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CalendarFeed | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        # Revoking changes the row, so it takes Django's change permission, which the
        # page itself does not use (nothing on it can be edited).
        return super().has_change_permission(request)

    @admin.action(description=_("Revoke the feed URL"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[CalendarFeed]) -> None:
        feeds = list(queryset.select_related("user"))
        for feed in feeds:
            revoke_calendar_feed(user=feed.user)
        self.message_user(
            request,
            ngettext("%(count)d feed revoked.", "%(count)d feeds revoked.", len(feeds))
            % {"count": len(feeds)},
            messages.SUCCESS,
        )
