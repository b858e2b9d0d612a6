"""Labor requests in the REST API (docs/design.md §7, §11): list (the board's filters), read,
receive (POST, through labor_request_receive, with an Idempotency-Key as registrations take
one), cancel. Views stay thin: the service decides and its refusals are 400s with their
fields; a key used again with other values is a 409.

Who: the office roles that see referral read; Dispatcher, Officer and Admin receive and
cancel (an employer's system posts with an API token of a user in one of those roles)."""

from __future__ import annotations

import datetime

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikit.filters import DeclaredFilter
from apikit.pagination import CountedPagination
from apikit.params import choice_param
from apikit.permissions import method_permissions
from apikit.schema import query_param
from checkoff.models import Employer
from members.models import Member

from .apis import CONFLICT, IDEMPOTENCY_KEY, WallClockField
from .models import AgreementType, Book, LaborRequest, LaborRequestStatus, Requirement
from .services import labor_request_cancel, labor_request_receive


class LaborRequestSerializer(serializers.ModelSerializer):
    employer = serializers.SlugRelatedField(slug_field="code", read_only=True)
    book = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requirements = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    start_at = WallClockField(read_only=True, help_text="When the work starts (local time).")
    named_member_number = serializers.CharField(
        source="named_member.member_number", read_only=True, default=None
    )
    rules_version = serializers.IntegerField(
        source="rule_set.version", read_only=True, help_text="The rules it was received under."
    )

    class Meta:
        model = LaborRequest
        fields = [
            "id",
            "employer",
            "book",
            "positions",
            "filled",
            "status",
            "start_on",
            "start_at",
            "referral_day",
            "worksite",
            "report_to",
            "wage",
            "short_call",
            "agreement_type",
            "requirements",
            "named_member",
            "named_member_number",
            "attestation",
            "attested_by_name",
            "received_at",
            "received_by_name",
            "rules_version",
            "ended_at",
            "cancel_reason",
        ]
        read_only_fields = fields


class ReceiveSerializer(serializers.Serializer):
    employer = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Employer.objects.all(),
        help_text="The employer's code, like ACME.",
        error_messages={"does_not_exist": "No employer has the code {value}."},
    )
    book = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Book.objects.all(),
        help_text="The book's code, like WIRE-N.",
        error_messages={"does_not_exist": "No book has the code {value}."},
    )
    # Unbounded here: the service says what is wrong with a number, as it says it to a form.
    positions = serializers.IntegerField()
    start_on = serializers.DateField()
    start_at = WallClockField(help_text="When the work starts (local time, HH:MM).")
    worksite = serializers.CharField(max_length=300)
    report_to = serializers.CharField(max_length=300)
    wage = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="Per hour.")
    requirements = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Requirement.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="Requirement codes, like OSHA-30.",
        error_messages={"does_not_exist": "No requirement has the code {value}."},
    )
    short_call = serializers.BooleanField(default=False)
    agreement_type = serializers.ChoiceField(
        choices=AgreementType.choices, required=False, help_text="Blank: the book's."
    )
    named_member = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="By name: the member's id.",
    )
    attestation = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="By name: that the member did not solicit it.",
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class LaborRequestFilter(DeclaredFilter):
    """`status`, `book` (its code), `referral_day` (YYYY-MM-DD)."""

    params = ("status", "book", "referral_day")

    def narrow(self, request, queryset):
        params = request.query_params
        if status := choice_param(params, "status", LaborRequestStatus.values):
            queryset = queryset.filter(status=status)
        if code := params.get("book"):
            queryset = queryset.filter(book__code=code)
        if day := params.get("referral_day"):
            try:
                queryset = queryset.filter(referral_day=datetime.date.fromisoformat(day))
            except ValueError:
                raise serializers.ValidationError(
                    {"referral_day": "Give a date as YYYY-MM-DD."}
                ) from None
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            query_param("status", {"type": "string", "enum": LaborRequestStatus.values}),
            query_param("book", {"type": "string"}, "A book's code, like WIRE-N."),
            query_param("referral_day", {"type": "string", "format": "date"}),
        ]


_REQUESTS = LaborRequest.objects.select_related(
    "employer", "book", "named_member", "rule_set"
).prefetch_related("requirements")


class LaborRequestList(generics.ListAPIView):
    """Labor requests by referral day. POST receives one (201): its referral day is the
    rules' (a request after the cutoff goes to the working day after the next). Send an
    `Idempotency-Key` header to make a retry safe."""

    queryset = _REQUESTS.order_by("referral_day", "book__referral_order", "id")
    serializer_class = LaborRequestSerializer
    pagination_class = CountedPagination
    filter_backends = [LaborRequestFilter]
    permission_classes = [
        method_permissions(GET="referral.view_laborrequest", POST="referral.add_laborrequest")
    ]

    @extend_schema(
        request=ReceiveSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LaborRequestSerializer, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        given = ReceiveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        made = labor_request_receive(
            **{**data, "agreement_type": data.get("agreement_type") or data["book"].agreement_type},
            actor=request.user,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        return Response(LaborRequestSerializer(_REQUESTS.get(pk=made.pk)).data, status=201)


class LaborRequestDetail(generics.RetrieveAPIView):
    """One labor request."""

    queryset = _REQUESTS
    serializer_class = LaborRequestSerializer
    permission_classes = [method_permissions(GET="referral.view_laborrequest")]


class LaborRequestCancel(APIView):
    """Cancel an open (or partly filled) request, saying why."""

    permission_classes = [method_permissions(POST="referral.cancel_laborrequest")]

    @extend_schema(request=CancelSerializer, responses={200: LaborRequestSerializer})
    def post(self, request: Request, pk: int) -> Response:
        labor_request = get_object_or_404(LaborRequest, pk=pk)
        given = CancelSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        labor_request_cancel(
            labor_request=labor_request, reason=given.validated_data["reason"], actor=request.user
        )
        return Response(LaborRequestSerializer(_REQUESTS.get(pk=pk)).data)
