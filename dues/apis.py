"""REST API for dues (docs/design.md §7): rates, periods, charges, payments, a member's dues."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikit.fields import MoneyField
from apikit.filters import DeclaredFilter, refuse_undeclared_params
from apikit.pagination import CountedPagination, NewestFirstCursorPagination
from apikit.params import choice_param, id_param
from apikit.permissions import method_permissions
from apikit.schema import query_param
from jobs.apis import JobSerializer
from members.models import Classification, Member
from members.permissions import own_record_or
from members.selectors import member_for_user, members_readable_by
from members.serializers import MemberSerializer

from .for_jobs import dues_charges_generation_start
from .ledger import Standing
from .models import MANUAL_METHODS, DuesPeriod, DuesRate, Payment, PaymentMethod, PaymentStatus
from .selectors import (
    MemberDues,
    member_dues_summary,
    payment_fields_hidden_from,
)
from .services import (
    dues_period_create,
    dues_rate_create,
    payment_record,
)

# --- A member's dues ----------------------------------------------------------------------


class ChargeLineSerializer(serializers.Serializer):
    period = serializers.CharField()
    due_date = serializers.DateField(source="period.due_date")
    amount = MoneyField(source="charge.amount")
    outstanding = MoneyField()


class PaymentSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True)
    refunded_amount = MoneyField(read_only=True)
    receipt = serializers.CharField(read_only=True)
    member_number = serializers.CharField(source="member.member_number", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "member",
            "member_number",
            "amount",
            "refunded_amount",
            "method",
            "status",
            "received_date",
            "reference",
            "note",
            "receipt",
            "flagged_at",
            "flag_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict:
        # Asked once per response, not per payment; the schema (no request) has them all.
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            for name in payment_fields_hidden_from(request.user):
                del fields[name]
        return fields


class MemberDuesSerializer(serializers.Serializer):
    balance = MoneyField()
    past_due = MoneyField()
    paid_through = serializers.CharField(allow_null=True)
    months_in_arrears = serializers.IntegerField()
    standing = serializers.ChoiceField(choices=Standing.choices)
    charges = ChargeLineSerializer(many=True)
    payments = PaymentSerializer(many=True)

    def to_representation(self, dues: MemberDues):
        data = super().to_representation(dues)
        data["paid_through"] = str(dues.paid_through) if dues.paid_through else None
        return data


class MemberDuesView(generics.RetrieveAPIView):
    """`balance`, `paid_through`, `months_in_arrears`, `standing`, charges and payments.
    A member may read their own."""

    serializer_class = MemberDuesSerializer
    permission_classes = [own_record_or("dues.view_payment")]

    def get_queryset(self):
        readable = members_readable_by(self.request.user, office_permission="dues.view_payment")
        return readable.select_related(None)  # the answer names no classification

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        dues = member_dues_summary(self.get_object())
        return Response(MemberDuesSerializer(dues, context=self.get_serializer_context()).data)


class MeSerializer(serializers.Serializer):
    member = MemberSerializer()
    dues = MemberDuesSerializer()


class MeView(APIView):
    """The logged-in member's own record and dues."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        refuse_undeclared_params(request, self)  # it takes none: a typo is an error, not ignored
        member = member_for_user(request.user)
        if member is None:
            raise exceptions.NotFound("Your login is not linked to a member record.")
        context = {"request": request}
        return Response(
            {
                "member": MemberSerializer(member, context=context).data,
                "dues": MemberDuesSerializer(member_dues_summary(member), context=context).data,
            }
        )


# --- Rates and periods ----------------------------------------------------------------------


class DuesRateSerializer(serializers.ModelSerializer):
    classification = serializers.SlugRelatedField(
        slug_field="code", queryset=Classification.objects.all()
    )
    monthly_amount = MoneyField(min_value=0)
    working_rate = serializers.DecimalField(
        max_digits=9, decimal_places=4, min_value=Decimal("0.0001"), required=False, allow_null=True
    )
    working_floor = MoneyField(min_value=0, required=False, allow_null=True)
    working_cap = MoneyField(min_value=0, required=False, allow_null=True)

    class Meta:
        model = DuesRate
        fields = [
            "id",
            "classification",
            "monthly_amount",
            "working_basis",
            "working_rate",
            "working_floor",
            "working_cap",
            "effective_date",
            "end_date",
        ]


class DuesRateList(generics.ListCreateAPIView):
    queryset = DuesRate.objects.select_related("classification").order_by(
        "classification__code", "-effective_date"
    )
    serializer_class = DuesRateSerializer
    pagination_class = CountedPagination
    permission_classes = [method_permissions(GET="dues.view_duesrate", POST="dues.add_duesrate")]

    def perform_create(self, serializer):
        serializer.instance = dues_rate_create(actor=self.request.user, **serializer.validated_data)


class DuesPeriodSerializer(serializers.ModelSerializer):
    due_date = serializers.DateField(required=False, help_text="Blank: the month's last day.")

    class Meta:
        model = DuesPeriod
        fields = ["id", "year", "month", "due_date"]
        extra_kwargs = {
            "year": {"min_value": 1900, "max_value": 2200},
            "month": {"min_value": 1, "max_value": 12},
        }
        validators = []  # the service says "that month already has a dues period"


class DuesPeriodList(generics.ListCreateAPIView):
    queryset = DuesPeriod.objects.order_by("-year", "-month")
    serializer_class = DuesPeriodSerializer
    pagination_class = CountedPagination
    permission_classes = [
        method_permissions(GET="dues.view_duesperiod", POST="dues.add_duesperiod")
    ]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = dues_period_create(
            year=data["year"],
            month=data["month"],
            due_date=data.get("due_date"),
            actor=self.request.user,
        )


class GenerateCharges(APIView):
    """Charge every active member for the period, by a worker: answers 202 with the job,
    whose `url` says how it goes and, once done, how many charges it created (`outcome`).
    Idempotent: while one is running, asking again gives the same job."""

    permission_classes = [method_permissions(POST="dues.generate_charges")]

    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        period = get_object_or_404(DuesPeriod, pk=pk)
        job = dues_charges_generation_start(period=period, actor=request.user)
        job.refresh_from_db()  # as it is now: a quick job may be done already
        return Response(JobSerializer(job).data, status=202)


# --- Payments --------------------------------------------------------------------------------


class PaymentRecordSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())
    amount = MoneyField()
    method = serializers.ChoiceField(choices=[(m, PaymentMethod(m).label) for m in MANUAL_METHODS])
    received_date = serializers.DateField()
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PaymentFilter(DeclaredFilter):
    params = ("member", "method", "status")

    def narrow(self, request, queryset):
        params = request.query_params
        if (member := id_param(params, "member")) is not None:
            queryset = queryset.filter(member_id=member)
        for name, values in (("method", PaymentMethod.values), ("status", PaymentStatus.values)):
            if value := choice_param(params, name, values):
                queryset = queryset.filter(**{name: value})
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            query_param("member", {"type": "integer"}, "A member id."),
            query_param("method", {"type": "string", "enum": PaymentMethod.values}),
            query_param("status", {"type": "string", "enum": PaymentStatus.values}),
        ]


class PaymentList(generics.ListCreateAPIView):
    """Payments, newest first. POST records a payment received at the office, by the same
    service as the admin; send an `Idempotency-Key` header to make a retry safe."""

    queryset = Payment.objects.select_related("member")
    serializer_class = PaymentSerializer
    pagination_class = NewestFirstCursorPagination
    filter_backends = [PaymentFilter]
    permission_classes = [method_permissions(GET="dues.view_payment", POST="dues.add_payment")]

    @extend_schema(request=PaymentRecordSerializer, responses={201: PaymentSerializer})
    def post(self, request: Request, *args, **kwargs) -> Response:
        given = PaymentRecordSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        payment = payment_record(
            actor=request.user,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            **given.validated_data,
        )
        return Response(PaymentSerializer(payment).data, status=201)
