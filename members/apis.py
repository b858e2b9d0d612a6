"""REST API for members and member notes (docs/design.md §7). Views stay thin: the
rules live in selectors and services."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apikit.filters import DeclaredFilter
from apikit.pagination import CountedPagination
from apikit.params import choice_param
from apikit.permissions import method_permissions
from apikit.schema import query_param

from .extensions import MEMBER_LIST_FILTERS
from .models import Member, MemberNote, MemberStatus, NoteCategory, NoteVisibility
from .permissions import own_record_or
from .selectors import member_notes_visible_to, members_readable_by, members_searched
from .serializers import MemberSerializer
from .services import (
    member_create,
    member_note_create,
    member_note_delete,
    member_note_update,
    member_records_view_record,
    member_update,
)

# --- Members ------------------------------------------------------------------------------


class MemberFilter(DeclaredFilter):
    """`status`, `classification` (code), `search` (number, names, email), and the filters
    other apps add (`members.member_list_filters`: the dues app's `standing`)."""

    def declared_params(self) -> set[str]:
        added = {extra.name for extra in MEMBER_LIST_FILTERS.declarations()}
        return {"status", "classification", "search", *added}

    def narrow(self, request, queryset):
        params = request.query_params
        if status_value := choice_param(params, "status", MemberStatus.values):
            queryset = queryset.filter(status=status_value)
        if code := params.get("classification"):
            queryset = queryset.filter(classification__code=code)
        if term := params.get("search", "").strip():
            queryset = members_searched(queryset, term)
        for extra in MEMBER_LIST_FILTERS.declarations():
            if value := choice_param(params, extra.name, extra.values):
                queryset = extra.narrow(queryset, value)
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            query_param(
                "status", {"type": "string", "enum": MemberStatus.values}, "Member status."
            ),
            query_param("classification", {"type": "string"}, "Classification code, e.g. JW."),
            query_param("search", {"type": "string"}, "Part of a member number, name or email."),
            *(
                query_param(extra.name, {"type": "string", "enum": extra.values}, extra.description)
                for extra in MEMBER_LIST_FILTERS.declarations()
            ),
        ]


class MemberList(generics.ListCreateAPIView):
    queryset = Member.objects.select_related("classification").order_by(
        "last_name", "first_name", "id"
    )
    serializer_class = MemberSerializer
    pagination_class = CountedPagination
    filter_backends = [MemberFilter]
    permission_classes = [method_permissions(GET="members.view_member", POST="members.add_member")]

    def perform_create(self, serializer):
        serializer.instance = member_create(actor=self.request.user, **serializer.validated_data)

    def known_count(self, request: Request) -> int | None:
        """Narrowed by one added filter (standing) alone, or with a status: its app's count,
        kept as the records change; counting a large local's matches costs more than the
        page (CountedPagination asks)."""
        params = request.query_params
        if params.get("classification") or params.get("search", "").strip():
            return None
        applied = [
            (extra, params[extra.name])
            for extra in MEMBER_LIST_FILTERS.declarations()
            if params.get(extra.name)
        ]
        if len(applied) != 1 or applied[0][0].count is None:
            return None
        extra, value = applied[0]
        return extra.count(value, params.get("status") or None)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        if page:
            query = request.query_params.urlencode() or "none"
            member_records_view_record(
                actor=request.user,
                members=page,
                detail=f"Listed by the API; query: {query}.",
                request=request,
            )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MemberDetail(generics.RetrieveUpdateAPIView):
    """One member; a member may read their own record. DELETE is not offered: leaving the
    union is a status."""

    serializer_class = MemberSerializer
    http_method_names = ["get", "patch", "head", "options"]
    permission_classes = [own_record_or("members.view_member", PATCH="members.change_member")]

    def get_queryset(self):
        return members_readable_by(self.request.user, office_permission="members.view_member")

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        member = self.get_object()
        member_records_view_record(
            actor=request.user, members=[member], detail="Read by the API.", request=request
        )
        return Response(self.get_serializer(member).data)

    def perform_update(self, serializer):
        serializer.instance = member_update(
            member=serializer.instance,
            actor=self.request.user,
            changes=serializer.validated_data,
        )


# --- Member notes -----------------------------------------------------------------------------


class MemberNoteSerializer(serializers.ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())
    author = serializers.CharField(source="author.username", read_only=True)
    visibility = serializers.ChoiceField(choices=NoteVisibility.choices)
    category = serializers.ChoiceField(
        choices=NoteCategory.choices, allow_blank=True, required=False
    )

    class Meta:
        model = MemberNote
        fields = [
            "id",
            "member",
            "author",
            "text",
            "visibility",
            "category",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class MemberNoteUpdateSerializer(MemberNoteSerializer):
    member = serializers.PrimaryKeyRelatedField(read_only=True)


_NOTE_PERMS = method_permissions(
    GET="members.view_membernote",
    POST="members.add_membernote",
    PATCH="members.change_membernote",
    DELETE="members.change_membernote",
)


class MemberNoteCreate(generics.CreateAPIView):
    serializer_class = MemberNoteSerializer
    permission_classes = [_NOTE_PERMS]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = member_note_create(
            member=data["member"],
            actor=self.request.user,
            text=data["text"],
            visibility=data["visibility"],
            category=data.get("category", ""),
        )


class MemberNotesOfMember(generics.ListAPIView):
    """The notes on a member that the caller may read."""

    serializer_class = MemberNoteSerializer
    pagination_class = CountedPagination
    permission_classes = [_NOTE_PERMS]

    def get_queryset(self):
        member = get_object_or_404(Member, pk=self.kwargs["member_id"])
        return (
            member_notes_visible_to(self.request.user)
            .filter(member=member)
            .select_related("author")
        )


class MemberNoteDetail(generics.RetrieveUpdateDestroyAPIView):
    """A note the caller may read (else 404). Only its author or an Admin changes or
    deletes it (else 403); DELETE hides it (a soft delete)."""

    http_method_names = ["get", "patch", "delete", "head", "options"]
    permission_classes = [_NOTE_PERMS]

    def get_serializer_class(self):
        return (
            MemberNoteUpdateSerializer if self.request.method == "PATCH" else MemberNoteSerializer
        )

    def get_queryset(self):
        return member_notes_visible_to(self.request.user).select_related("author")

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = member_note_update(
            note=serializer.instance,
            actor=self.request.user,
            text=data.get("text"),
            visibility=data.get("visibility"),
            category=data.get("category"),
        )

    def perform_destroy(self, instance):
        member_note_delete(note=instance, actor=self.request.user)
