"""The users and roles page (admins only) and every user's own profile page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from huifang.core import access
from huifang.core.account_forms import ProfileForm, UserCreateForm, UserEditForm, UserFilterForm
from huifang.core.account_services import (
    create_user,
    deactivate_user,
    profile_version,
    update_profile,
    update_user,
    user_version,
)
from huifang.core.concurrency import VersionForm, conflict_shown
from huifang.core.errors import DomainError
from huifang.core.listing import paginate, sort_queryset
from huifang.core.models import User

USER_SORTS: dict[str, tuple[str, ...] | str] = {
    "username": "username",
    "name": ("display_name", "username"),
    "role": ("role", "username"),
    "department": ("department", "username"),
    "last_login": "last_login",
}


def _admin(request: HttpRequest) -> User:
    user = access.signed_in_user(request)
    access.require(access.can_manage_users(user))
    return user


@login_required
@require_http_methods(["GET"])
def users(request: HttpRequest) -> HttpResponse:
    _admin(request)
    filters = UserFilterForm(request.GET or None)
    queryset: QuerySet[User] = User.objects.all()
    if filters.is_valid():
        query = filters.cleaned_data["q"].strip()
        if query:
            queryset = queryset.filter(
                Q(username__icontains=query)
                | Q(display_name__icontains=query)
                | Q(email__icontains=query)
                | Q(department__icontains=query)
            )
        if filters.cleaned_data["role"]:
            queryset = queryset.filter(role=filters.cleaned_data["role"])
        if filters.cleaned_data["active"]:
            queryset = queryset.filter(is_active=filters.cleaned_data["active"] == "yes")
    queryset, sorting = sort_queryset(request, queryset, allowed=USER_SORTS, default="username")
    # Read fresh: the last sign-in is bookkeeping (core.dataversion).
    page = paginate(request, queryset, fresh=True)
    return render(
        request, "accounts/users.html", {"filters": filters, "page": page, "sorting": sorting}
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _admin(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = create_user(**form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": created})
            return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form, "edited": None})


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    acting = _admin(request)
    edited = get_object_or_404(User, pk=pk)
    version = user_version(edited)
    form = UserEditForm(
        request.POST or None, instance=User.objects.get(pk=edited.pk), version=version
    )
    if request.method == "POST" and form.is_valid():
        try:
            with conflict_shown(
                form,
                lambda: User.objects.get(pk=pk),
                version=user_version,
                current=lambda now: UserEditForm(instance=now),
            ) as conflict:
                saved = update_user(
                    user=edited,
                    acting=acting,
                    expected_version=form.expected_version,
                    **form.field_values(),
                )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if conflict:
                return _user_page(
                    request, conflict.row, form, version=conflict.version, status=conflict.status
                )
            messages.success(request, _("User %(name)s saved.") % {"name": saved})
            return redirect("accounts:users")
    return _user_page(request, edited, form, version=version)


def _user_page(
    request: HttpRequest,
    edited: User,
    form: UserEditForm,
    *,
    version: str,
    deactivate_form: VersionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "edited": edited,
        "deactivate_form": deactivate_form or VersionForm(prefix="deactivate", version=version),
    }
    return render(request, "accounts/user_form.html", context, status=status)


@login_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    acting = _admin(request)
    edited = get_object_or_404(User, pk=pk)
    form = VersionForm(request.POST, prefix="deactivate")
    status = 400  # the page was out of date
    if form.is_valid():
        try:
            with conflict_shown(
                form, lambda: User.objects.get(pk=pk), version=user_version
            ) as conflict:
                deactivate_user(user=edited, acting=acting, expected_version=form.expected_version)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("accounts:user_edit", pk=edited.pk)
        if not conflict:
            messages.success(request, _("User %(name)s deactivated.") % {"name": edited})
            return redirect("accounts:users")
        edited, status = conflict.row, conflict.status
    version = user_version(edited)
    page_form = UserEditForm(instance=edited, version=version)
    return _user_page(
        request, edited, page_form, version=version, deactivate_form=form, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = access.signed_in_user(request)
    stored = User.objects.get(pk=user.pk)
    form = ProfileForm(request.POST or None, instance=stored, version=profile_version(stored))
    status = 200
    if request.method == "POST" and form.is_valid():
        with conflict_shown(
            form,
            lambda: User.objects.get(pk=user.pk),
            version=profile_version,
            current=lambda now: ProfileForm(instance=now),
        ) as conflict:
            update_profile(user=user, expected_version=form.expected_version, **form.field_values())
        if not conflict:
            messages.success(request, _("Profile saved."))
            return redirect("accounts:profile")
        status = conflict.status
    context = {"form": form, "profile_user": user}
    return render(request, "accounts/profile.html", context, status=status)
