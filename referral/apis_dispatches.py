"""Dispatches in the REST API (docs/design.md §7, §11): list (the day book's filters), read,
dispatch (POST, through dispatch_make, with an Idempotency-Key as requests take one), and a
dispatch's course: check-in, work started, its end, a no-show. Views stay thin: each write
is one dispatching service with the caller as its actor, its refusals 400s with their
fields; a key used again with other values is a 409.

Who: the office roles that see referral read; Dispatcher, Officer and Admin dispatch, record
a dispatch's course and its end (Staff reads only)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikit.filters import DeclaredFilter
from apikit.pagination import CountedPagination
from apikit.params import choice_param, date_param, id_param
from apikit.permissions import method_permissions
from apikit.schema import query_param

from .apis import CONFLICT, IDEMPOTENCY_KEY, local_day
from .models import (
    OPEN_DISPATCH_STATUSES,
    Dispatch,
    DispatchMethod,
    DispatchStatus,
    LaborRequest,
    Registration,
    TerminationReason,
)
from .services import (
    dispatch_check_in,
    dispatch_make,
    dispatch_no_show,
    dispatch_start_work,
    dispatch_terminate,
)
from .services.dispatching import COUNTER_METHOD_CHOICES, TERMINATION_CHOICES


class DispatchSerializer(serializers.ModelSerializer):
    employer = serializers.SlugRelatedField(slug_field="code", read_only=True)
    member_number = serializers.CharField(source="member.member_number", read_only=True)
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    book = serializers.CharField(
        source="registration.book.code", read_only=True, help_text="The book it came from."
    )
    open = serializers.BooleanField(
        source="is_open", read_only=True, help_text="The member is still on it."
    )
    termination_reason = serializers.ChoiceField(
        choices=TerminationReason.choices, allow_blank=True, read_only=True
    )
    rules_version = serializers.IntegerField(
        source="rule_set.version", read_only=True, help_text="The rules it was made under."
    )

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "labor_request",
            "employer",
            "member",
            "member_number",
            "member_name",
            "registration",
            "book",
            "method",
            "status",
            "open",
            "short_call",
            "dispatched_at",
            "report_by",
            "checked_in_at",
            "working_since",
            "terminated_on",
            "termination_reason",
            "note",
            "restored",
            "dispatched_by_name",
            "rules_version",
        ]
        read_only_fields = fields


class DispatchMakeSerializer(serializers.Serializer):
    labor_request = serializers.PrimaryKeyRelatedField(
        queryset=LaborRequest.objects.all(), help_text="The labor request's id."
    )
    registration = serializers.PrimaryKeyRelatedField(
        queryset=Registration.objects.select_related("member"),
        help_text="The id of the registration the member is referred from (on the request's book).",
    )
    method = serializers.ChoiceField(choices=COUNTER_METHOD_CHOICES)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class CheckInSerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the member reported; blank: now.",
    )


class StartWorkSerializer(serializers.Serializer):
    on = serializers.DateField(help_text="The first day worked.")


class TerminateSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=TERMINATION_CHOICES)
    on = serializers.DateField(help_text="The last day of the dispatch.")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default="", help_text="Why, for `other`."
    )


class DispatchFilter(DeclaredFilter):
    """`day` (the local date it was made, YYYY-MM-DD), `employer` and `book` (their codes),
    `member` (an id) or `member_number`, as the registrations and bids APIs take them,
    `status`, `method`, `open` (true or false)."""

    params = ("day", "employer", "book", "member", "member_number", "status", "method", "open")

    def narrow(self, request, queryset):
        params = request.query_params
        if (day := date_param(params, "day")) is not None:
            queryset = queryset.filter(**local_day("dispatched_at", day))
        if code := params.get("employer"):
            queryset = queryset.filter(employer__code=code)
        if code := params.get("book"):
            queryset = queryset.filter(registration__book__code=code)
        if (member := id_param(params, "member")) is not None:
            queryset = queryset.filter(member_id=member)
        if number := params.get("member_number"):
            queryset = queryset.filter(member__member_number=number)
        if status := choice_param(params, "status", DispatchStatus.values):
            queryset = queryset.filter(status=status)
        if method := choice_param(params, "method", DispatchMethod.values):
            queryset = queryset.filter(method=method)
        if is_open := choice_param(params, "open", ("true", "false")):
            still = {"status__in": OPEN_DISPATCH_STATUSES}
            queryset = queryset.filter(**still) if is_open == "true" else queryset.exclude(**still)
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            query_param("day", {"type": "string", "format": "date"}, "The local date it was made."),
            query_param("employer", {"type": "string"}, "An employer's code, like ACME."),
            query_param("book", {"type": "string"}, "A book's code, like WIRE-N."),
            query_param("member", {"type": "integer"}, "A member id."),
            query_param("member_number", {"type": "string"}, "A member number."),
            query_param("status", {"type": "string", "enum": DispatchStatus.values}),
            query_param("method", {"type": "string", "enum": DispatchMethod.values}),
            query_param("open", {"type": "string", "enum": ["true", "false"]}),
        ]


_DISPATCHES = Dispatch.objects.select_related(
    "employer", "member", "registration__book", "rule_set"
)


def _answer(dispatch: Dispatch, status: int = 200) -> Response:
    # Read again with its relations: what the service returns has only some of them loaded.
    return Response(DispatchSerializer(_DISPATCHES.get(pk=dispatch.pk)).data, status=status)


class DispatchList(generics.ListAPIView):
    """Dispatches, newest first. POST dispatches a registrant to a request (201), from their
    registration on its book: refused with the reason for a request that takes no one, a
    member already on an open dispatch, and every other rule of the hall. Send an
    `Idempotency-Key` header to make a retry safe."""

    queryset = _DISPATCHES.order_by("-dispatched_at", "-id")
    serializer_class = DispatchSerializer
    pagination_class = CountedPagination
    filter_backends = [DispatchFilter]
    permission_classes = [
        method_permissions(GET="referral.view_dispatch", POST="referral.add_dispatch")
    ]

    @extend_schema(
        request=DispatchMakeSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: DispatchSerializer, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        given = DispatchMakeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        made = dispatch_make(
            **given.validated_data,
            actor=request.user,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return _answer(made, status=201)


class DispatchDetail(generics.RetrieveAPIView):
    """One dispatch."""

    queryset = _DISPATCHES
    serializer_class = DispatchSerializer
    permission_classes = [method_permissions(GET="referral.view_dispatch")]


class DispatchCheckIn(APIView):
    """Record that the member reported to the job (now, or at `at`), by the request's start:
    after it, record a no-show."""

    permission_classes = [method_permissions(POST="referral.change_dispatch")]

    @extend_schema(request=CheckInSerializer, responses={200: DispatchSerializer})
    def post(self, request: Request, pk: int) -> Response:
        dispatch = get_object_or_404(Dispatch, pk=pk)
        given = CheckInSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return _answer(
            dispatch_check_in(dispatch=dispatch, at=given.validated_data["at"], actor=request.user)
        )


class DispatchStartWork(APIView):
    """Record the first day a checked-in member worked."""

    permission_classes = [method_permissions(POST="referral.change_dispatch")]

    @extend_schema(request=StartWorkSerializer, responses={200: DispatchSerializer})
    def post(self, request: Request, pk: int) -> Response:
        dispatch = get_object_or_404(Dispatch, pk=pk)
        given = StartWorkSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        on = given.validated_data["on"]
        return _answer(dispatch_start_work(dispatch=dispatch, on=on, actor=request.user))


class DispatchTerminate(APIView):
    """Record a dispatch's end on its last day, and why. A short call's end puts the
    registration back in its place (within the rules); a quit or discharge takes the member
    off every book and blacks out the employer's by-name requests."""

    permission_classes = [method_permissions(POST="referral.terminate_dispatch")]

    @extend_schema(request=TerminateSerializer, responses={200: DispatchSerializer})
    def post(self, request: Request, pk: int) -> Response:
        dispatch = get_object_or_404(Dispatch, pk=pk)
        given = TerminateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return _answer(
            dispatch_terminate(dispatch=dispatch, **given.validated_data, actor=request.user)
        )


class DispatchNoShow(APIView):
    """Record that the member did not report by the request's start: the position is free
    again, the registration back in its place, with the day's check mark."""

    permission_classes = [method_permissions(POST="referral.change_dispatch")]

    @extend_schema(request=None, responses={200: DispatchSerializer})
    def post(self, request: Request, pk: int) -> Response:
        dispatch = get_object_or_404(Dispatch, pk=pk)
        return _answer(dispatch_no_show(dispatch=dispatch, actor=request.user))
