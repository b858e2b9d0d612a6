"""Users and role groups in the admin. Users are deactivated, never deleted; only a
superuser makes a superuser, grants single permissions, or changes a superuser's account."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from appkit.admin import DeclaredFiltersAdmin
from appkit.text import counted

from .extensions import LOGIN_EMAIL_CHANGED

User = get_user_model()

# What only a superuser may set: either makes its holder able to do anything.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin, DeclaredFiltersAdmin):
    pass


@admin.register(User)
class UnionHallUserAdmin(UserAdmin, DeclaredFiltersAdmin):
    """Users are deactivated, never deleted: history rows keep pointing at them."""

    actions = ["deactivate"]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        # When someone last logged in and joined are facts the system keeps, not typed in.
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += [name for name in SUPERUSER_ONLY_FIELDS if name not in readonly]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False  # else an Admin could set a superuser's password and become one
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            # One email: a member's login and their record keep the same address.
            for follow in LOGIN_EMAIL_CHANGED.declarations():
                follow(obj, actor=request.user)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        messages.error(
            request,
            "Users are never deleted: the audit trail points at them. Deactivate the user "
            'instead (untick "Active", or the "Deactivate selected users" action).',
        )
        return HttpResponseRedirect(reverse("admin:auth_user_change", args=[object_id]))

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description="Deactivate selected users (they can no longer log in)",
        permissions=["change"],
    )
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        users = queryset.filter(is_active=True).exclude(pk=request.user.pk)
        if not request.user.is_superuser:
            users = users.exclude(is_superuser=True)
        users = list(users)
        for user in users:
            user.is_active = False
            user.save(update_fields=["is_active"])
        self.message_user(request, f"Deactivated {counted(len(users), 'user')}.", messages.SUCCESS)
