"""Who may reach a member's own record through the API: the member themself, or a user
with the office permission of the view. Shared by every app's API that serves a member's
data (members, dues)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts import roles


def own_record_or(office_permission: str, **write_permissions: str) -> type[BasePermission]:
    """GET: a member (for their own record: the view's queryset is members_readable_by())
    or a user with `office_permission`; other methods: the permission given for each."""

    class OwnRecordOr(BasePermission):
        def has_permission(self, request, view) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                return False
            if request.method in ("GET", "HEAD", "OPTIONS"):
                return user.has_perm(office_permission) or roles.user_has_role(user, roles.MEMBER)
            needed = write_permissions.get(request.method)
            return needed is None or user.has_perm(needed)

    return OwnRecordOr
