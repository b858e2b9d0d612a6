"""Logging in to the API: JWT access and refresh tokens (docs/design.md §7)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from audit.context import client_ip
from audit.models import AuditAction
from audit.services import audit_event_record

from .login_guard import lockout_refusal, login_attempt_count, login_attempt_release
from .throttling import SharedScopedRateThrottle
from .usernames import login_name


class LockoutTokenSerializer(TokenObtainPairSerializer):
    def validate(self, attrs):
        request = self.context["request"]
        # Resolved as the login page resolves it, so the lockout counts the same name.
        attrs[self.username_field] = username = login_name(attrs.get(self.username_field))
        attempt = login_attempt_count(username, client_ip(request))
        if attempt.locked_out:
            raise exceptions.Throttled(detail=lockout_refusal(request, username))
        data = super().validate(attrs)  # a wrong password is recorded by Django's signal
        login_attempt_release(attempt)
        audit_event_record(
            action=AuditAction.LOGIN,
            actor=self.user,
            model_label=self.user._meta.label_lower,
            object_id=self.user.pk,
            object_repr=self.user.get_username(),
            detail="API token issued.",
            request=request,
        )
        return data


class TokenView(TokenObtainPairView):
    """`username` and `password` → `access` (15 minutes) and `refresh` tokens."""

    serializer_class = LockoutTokenSerializer
    throttle_classes = [SharedScopedRateThrottle]
    throttle_scope = "login"

    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except (exceptions.AuthenticationFailed, exceptions.Throttled) as exc:
            # Answered here rather than raised: a raised API error rolls the request's
            # transaction back, and with it the audit event of this failed login.
            headers = {"WWW-Authenticate": 'Bearer realm="api"'} if exc.status_code == 401 else {}
            return Response({"detail": exc.detail}, status=exc.status_code, headers=headers)
        return Response(serializer.validated_data)


class RevocableRefreshSerializer(TokenRefreshSerializer):
    """A refresh token made before the password last changed is refused, as an access token
    is (SIMPLE_JWT's CHECK_REVOKE_TOKEN); a deactivated user's is refused already."""

    def validate(self, attrs):
        refresh = RefreshToken(attrs["refresh"])
        data = super().validate(attrs)
        user = (
            get_user_model()
            .objects.filter(**{api_settings.USER_ID_FIELD: refresh.get(api_settings.USER_ID_CLAIM)})
            .first()
        )
        signed_for = refresh.get(api_settings.REVOKE_TOKEN_CLAIM)
        if user is None or signed_for != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed(
                "This token was issued before the password changed: log in again.",
                code="password_changed",
            )
        return data


class TokenRefresh(TokenRefreshView):
    serializer_class = RevocableRefreshSerializer
    throttle_classes = [SharedScopedRateThrottle]
    throttle_scope = "login"
