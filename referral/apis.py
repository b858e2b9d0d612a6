"""The hiring hall in the REST API (docs/design.md §7, §11): books with their counts, and
registrations (list, read with the registrant's position, register, re-sign, exempt). Views
stay thin: every write is a referral service named with the caller as its actor, and every
refusal it gives is a 400 with the field it concerns.

Who: the office roles that see referral read (Staff, Dispatcher, Officer, Admin); Staff and
up register and take re-signs; Dispatcher and up exempt. Organizers and Members are refused
(a member's own registrations come with the member's pages)."""

from __future__ import annotations

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikit.filters import DeclaredFilter
from apikit.pagination import CountedPagination
from apikit.params import choice_param, id_param
from apikit.permissions import method_permissions
from apikit.schema import query_param
from members.models import Member

from .models import (
    Book,
    Exemption,
    ExemptionKind,
    QueuedRegistration,
    Registration,
    RegistrationStatus,
    RollOffReason,
)
from .selectors import registration_position, unemployed_counts
from .services import exemption_start, registration_register, registration_resign

# --- Books --------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}$", "example": "08:30"})
class WallClockField(serializers.TimeField):
    """A time of day on the local's wall clock (settings.TIME_ZONE) as HH:MM. Not OpenAPI's
    `time` format, which is an instant's time with its offset: 08:30 stays 08:30 in summer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


class BookSerializer(serializers.ModelSerializer):
    classification = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    referral_time = WallClockField(
        read_only=True, help_text="When its morning referral starts (local time)."
    )
    registered = serializers.IntegerField(
        read_only=True, help_text="Registrants on its list waiting for a call."
    )
    exempt = serializers.IntegerField(
        read_only=True, help_text="Registrants on its list excused from referral for now."
    )

    class Meta:
        model = Book
        fields = [
            "id",
            "code",
            "name",
            "classification",
            "region",
            "tiers",
            "contract_code",
            "agreement_type",
            "work_level",
            "supplemental",
            "referral_time",
            "referral_order",
            "active",
            "registered",
            "exempt",
        ]
        read_only_fields = fields


class _Books:
    # One query for the page, counts included (a join and two filtered counts).
    queryset = unemployed_counts().select_related("classification", "region")
    serializer_class = BookSerializer
    permission_classes = [method_permissions(GET="referral.view_book")]


class BookList(_Books, generics.ListAPIView):
    """The out-of-work books in the morning's referral order, each with how many are on
    its list (registered, exempt)."""

    pagination_class = CountedPagination


class BookDetail(_Books, generics.RetrieveAPIView):
    """One book, with its counts."""


# --- Registrations ------------------------------------------------------------------------


class ExemptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Exemption
        fields = [
            "id",
            "registration",
            "kind",
            "starts_on",
            "ends_on",
            "ended_at",
            "approved_by_name",
            "extension_reason",
            "note",
        ]
        read_only_fields = fields


class RegistrationSerializer(serializers.ModelSerializer):
    member_number = serializers.CharField(source="member.member_number", read_only=True)
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    book = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rules_version = serializers.IntegerField(
        source="rule_set.version", read_only=True, help_text="The rules it was registered under."
    )
    roll_off_reason = serializers.ChoiceField(
        choices=RollOffReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Registration
        fields = [
            "id",
            "member",
            "member_number",
            "member_name",
            "book",
            "tier",
            "tier_reason",
            "apn",
            "sequence",
            "status",
            "registered_at",
            "resign_due",
            "check_marks",
            "short_calls_used",
            "ended_at",
            "roll_off_reason",
            "rules_version",
        ]
        read_only_fields = fields


class RegistrationDetailSerializer(RegistrationSerializer):
    position = serializers.SerializerMethodField()
    exemption = serializers.SerializerMethodField()

    class Meta(RegistrationSerializer.Meta):
        fields = [*RegistrationSerializer.Meta.fields, "position", "exemption"]
        read_only_fields = fields

    def get_position(self, registration: Registration) -> int | None:
        """Where it stands on its book's list now (1 first); null when off the list."""
        return registration_position(registration)

    @extend_schema_field(ExemptionSerializer(allow_null=True))
    def get_exemption(self, registration: Registration) -> dict | None:
        """The exemption in force, if any."""
        open_one = registration.exemptions.filter(ended_at__isnull=True).first()
        return ExemptionSerializer(open_one).data if open_one else None


class QueuedRegistrationSerializer(serializers.ModelSerializer):
    member_number = serializers.CharField(source="member.member_number", read_only=True)
    book = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = QueuedRegistration
        fields = [
            "id",
            "member",
            "member_number",
            "book",
            "tier",
            "tier_reason",
            "asked_at",
            "asked_by_name",
            "registration",
            "refused",
        ]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.all(), help_text="The member's id."
    )
    book = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Book.objects.all(),
        help_text="The book's code, like WIRE-N.",
        error_messages={"does_not_exist": "No book has the code {value}."},
    )
    # Unbounded here: the service's refusal names the book's own tiers.
    tier = serializers.IntegerField(
        required=False, allow_null=True, help_text="Blank: the tier the rules give."
    )
    tier_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        help_text="Why this tier, when it is not the one the rules give.",
    )


class ExemptSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ExemptionKind.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(
        required=False, allow_null=True, help_text="A capped kind ends at the rules' cap at most."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")

    def validate_starts_on(self, value: datetime.date) -> datetime.date:
        # An exemption is asked for as it begins: a date a year or more ahead is a typo (and
        # near the calendar's end the rules' cap would run past it).
        if value > timezone.localdate() + datetime.timedelta(days=365):
            raise serializers.ValidationError("An exemption starts within a year from today.")
        return value


class RegistrationFilter(DeclaredFilter):
    """`book` (its code), `member` (an id) or `member_number`, `status`."""

    params = ("book", "member", "member_number", "status")

    def narrow(self, request, queryset):
        params = request.query_params
        if code := params.get("book"):
            queryset = queryset.filter(book__code=code)
        if (member := id_param(params, "member")) is not None:
            queryset = queryset.filter(member_id=member)
        if number := params.get("member_number"):
            queryset = queryset.filter(member__member_number=number)
        if status := choice_param(params, "status", RegistrationStatus.values):
            queryset = queryset.filter(status=status)
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            query_param("book", {"type": "string"}, "A book's code, like WIRE-N."),
            query_param("member", {"type": "integer"}, "A member id."),
            query_param("member_number", {"type": "string"}, "A member number."),
            query_param("status", {"type": "string", "enum": RegistrationStatus.values}),
        ]


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Makes a retry safe: the same key gets back what the first request made.",
)
CONFLICT = OpenApiResponse(
    inline_serializer("Conflict", {"detail": serializers.CharField()}),
    description="The idempotency key was used before with other values; nothing was written.",
)


def local_day(field: str, day: datetime.date) -> dict[str, datetime.datetime]:
    """The lookups on `field` for the instants of a day on the local's wall clock
    (settings.TIME_ZONE): the hall's day, not UTC's (17:30 in Seattle is already tomorrow in
    UTC), 23 or 25 hours long when the clocks change. For the dispatches' and bids' `day`."""
    zone = timezone.get_default_timezone()
    lookups = {f"{field}__gte": datetime.datetime.combine(day, datetime.time.min, zone)}
    if day < datetime.date.max:  # the calendar's last day has no next one to end at
        next_day = day + datetime.timedelta(days=1)
        lookups[f"{field}__lt"] = datetime.datetime.combine(next_day, datetime.time.min, zone)
    return lookups


class RegistrationList(generics.ListAPIView):
    """Registrations, book by book in the morning's order, each book in list order (tier,
    APN, sequence). POST registers a member on a book: 201 with the registration, or 202
    with the queued registration while the morning referral holds the books (it is drawn,
    in arrival order, when the referral ends). Send an `Idempotency-Key` header to make a
    retry safe."""

    queryset = Registration.objects.select_related("member", "book", "rule_set").order_by(
        "book__referral_order", "book__code", "tier", "apn", "sequence", "id"
    )
    serializer_class = RegistrationSerializer
    pagination_class = CountedPagination
    filter_backends = [RegistrationFilter]
    permission_classes = [
        method_permissions(GET="referral.view_registration", POST="referral.add_registration")
    ]

    @extend_schema(
        request=RegisterSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: RegistrationDetailSerializer,
            202: QueuedRegistrationSerializer,
            409: CONFLICT,
        },
    )
    def post(self, request: Request) -> Response:
        given = RegisterSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        made = registration_register(
            member=data["member"],
            book=data["book"],
            tier=data.get("tier"),
            tier_reason=data["tier_reason"],
            actor=request.user,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        if isinstance(made, QueuedRegistration):
            return Response(QueuedRegistrationSerializer(made).data, status=202)
        return Response(RegistrationDetailSerializer(made).data, status=201)


class RegistrationDetail(generics.RetrieveAPIView):
    """One registration, with its position on the book now and the exemption in force."""

    queryset = Registration.objects.select_related("member", "book", "rule_set")
    serializer_class = RegistrationDetailSerializer
    permission_classes = [method_permissions(GET="referral.view_registration")]


class RegistrationResign(APIView):
    """Re-sign: the registration runs another interval of the rules from today. A dropped
    (rolled-off) registration is not re-signed: the member registers again."""

    permission_classes = [method_permissions(POST="referral.resign_registration")]

    @extend_schema(request=None, responses={200: RegistrationDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        registration = get_object_or_404(Registration, pk=pk)
        registration = registration_resign(registration=registration, actor=request.user)
        return Response(RegistrationDetailSerializer(registration).data)


class RegistrationExempt(APIView):
    """Excuse a registrant from referral: they keep their place and do not re-sign
    meanwhile. A capped kind (traveling, under scale) ends by the rules' cap at most."""

    permission_classes = [method_permissions(POST="referral.add_exemption")]

    @extend_schema(request=ExemptSerializer, responses={201: ExemptionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        registration = get_object_or_404(Registration, pk=pk)
        given = ExemptSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        exemption = exemption_start(
            registration=registration, actor=request.user, **given.validated_data
        )
        return Response(ExemptionSerializer(exemption).data, status=201)
