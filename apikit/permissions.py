from __future__ import annotations

from rest_framework.permissions import BasePermission


def method_permissions(**perms_by_method: str | tuple[str, ...]) -> type[BasePermission]:
    """A permission class: the model permission(s) each HTTP method needs.

    A method the view does not offer is let through, so it answers 405, not 403."""

    class MethodPermissions(BasePermission):
        def has_permission(self, request, view) -> bool:
            if not (request.user and request.user.is_authenticated):
                return False
            if request.method.lower() not in (m.lower() for m in view.allowed_methods):
                return True
            needed = perms_by_method.get(request.method)
            if needed is None:
                return (
                    request.method in ("HEAD", "OPTIONS")
                    and "GET" in perms_by_method
                    and (request.user.has_perms(_as_tuple(perms_by_method["GET"])))
                )
            return request.user.has_perms(_as_tuple(needed))

    return MethodPermissions


def _as_tuple(perms: str | tuple[str, ...]) -> tuple[str, ...]:
    return (perms,) if isinstance(perms, str) else perms
