"""The audit trail in the REST API: the same filters and redaction as the admin's log."""

from __future__ import annotations

from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apikit.filters import DeclaredFilter
from apikit.pagination import NewestFirstCursorPagination
from apikit.params import choice_param, date_param, id_param
from apikit.permissions import method_permissions
from apikit.schema import query_param

from .models import AuditAction, AuditEvent
from .redaction import Redactor
from .selectors import audit_events_matching


class AuditEventSerializer(serializers.ModelSerializer):
    changes = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_label",
            "actor",
            "action",
            "model_label",
            "object_id",
            "object_repr",
            "member_id",
            "member_number",
            "changes",
            "detail",
            "ip_address",
            "user_agent",
        ]
        read_only_fields = fields

    def get_changes(self, event: AuditEvent) -> dict[str, list]:
        """Each changed field: [old, new]; values the reader may not see are "[redacted]"."""
        return self.context["redactor"].changes(event)


class AuditEventFilter(DeclaredFilter):
    """actor, action, model, object_id, member_id, member_number, occurred_from/to."""

    params = (
        "actor",
        "action",
        "model",
        "object_id",
        "member_id",
        "member_number",
        "occurred_from",
        "occurred_to",
    )

    def narrow(self, request, queryset):
        params = request.query_params
        matching = audit_events_matching(
            actor=params.get("actor", ""),
            action=choice_param(params, "action", AuditAction.values) or "",
            model=params.get("model", ""),
            object_id=params.get("object_id", ""),
            member_id=id_param(params, "member_id"),
            member_number=params.get("member_number", ""),
            occurred_from=date_param(params, "occurred_from"),
            occurred_to=date_param(params, "occurred_to"),
        )
        return queryset & matching

    def get_schema_operation_parameters(self, view):
        text, day = {"type": "string"}, {"type": "string", "format": "date"}
        return [
            query_param("actor", text, "Username or system actor."),
            query_param("action", {"type": "string", "enum": AuditAction.values}),
            query_param("model", text, "Model label, e.g. members.member."),
            query_param("object_id", text),
            query_param("member_id", {"type": "integer"}),
            query_param("member_number", text),
            query_param("occurred_from", day, "From this day (inclusive)."),
            query_param("occurred_to", day, "To this day (inclusive)."),
        ]


class AuditEventList(generics.ListAPIView):
    """The audit trail, newest first (Admin and Officer)."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    pagination_class = NewestFirstCursorPagination
    filter_backends = [AuditEventFilter]
    permission_classes = [method_permissions(GET="audit.view_auditevent")]

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "redactor": Redactor(request.user, page)}
        return self.get_paginated_response(
            AuditEventSerializer(page, many=True, context=context).data
        )
