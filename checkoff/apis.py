"""Check-off in the REST API (docs/design.md §9): employers, and remittances with their lines and
exceptions. Staff and up read; Officer and up add employers, upload files and post them
(each a job: the answer is 202 with the job to follow)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikit.fields import MoneyField
from apikit.filters import DeclaredFilter
from apikit.pagination import CountedPagination
from apikit.params import choice_param, id_param
from apikit.permissions import method_permissions
from apikit.schema import query_param
from jobs.apis import JobSerializer

from .for_jobs import remittance_check_start, remittance_post_start
from .models import (
    COLUMNS,
    EMPLOYER_FIELDS,
    OPTIONAL_COLUMNS,
    BatchStatus,
    Employer,
    LineException,
    RemittanceBatch,
    RemittanceLine,
)
from .remittance_file import mapping_clashes
from .selectors import batch_summary
from .services import employer_save


class EmployerSerializer(serializers.ModelSerializer):
    column_mapping = serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        help_text="Their file's header for each of our columns, where theirs differ.",
    )

    class Meta:
        model = Employer
        fields = ["id", *EMPLOYER_FIELDS, "column_mapping"]
        extra_kwargs = {"due_day": {"min_value": 1, "max_value": 28}}

    def validate_code(self, value: str) -> str:
        value = Employer.code_of(value)
        if Employer.objects.filter(code=value).exists():
            raise serializers.ValidationError("An employer already has this code.")
        return value

    def validate_column_mapping(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(COLUMNS) - set(OPTIONAL_COLUMNS))
        if unknown:
            raise serializers.ValidationError(f"Not our columns: {', '.join(unknown)}.")
        clashes = mapping_clashes(value)
        if clashes:
            raise serializers.ValidationError(clashes)
        return value


class EmployerList(generics.ListCreateAPIView):
    queryset = Employer.objects.order_by("code")
    serializer_class = EmployerSerializer
    pagination_class = CountedPagination
    permission_classes = [
        method_permissions(GET="checkoff.view_employer", POST="checkoff.add_employer")
    ]

    def perform_create(self, serializer):
        serializer.instance = employer_save(
            employer=Employer(**serializer.validated_data), actor=self.request.user
        )


class EmployerDetail(generics.RetrieveAPIView):
    queryset = Employer.objects.all()
    serializer_class = EmployerSerializer
    permission_classes = [method_permissions(GET="checkoff.view_employer")]


class RemittanceLineSerializer(serializers.ModelSerializer):
    work_month = serializers.CharField(read_only=True)
    amount = MoneyField(read_only=True)
    expected = MoneyField(read_only=True, allow_null=True)
    gross_wages = MoneyField(read_only=True, allow_null=True)
    base_wages = MoneyField(read_only=True, allow_null=True)
    payment = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = RemittanceLine
        fields = [
            "id",
            "row_number",
            "raw",
            "member_number",
            "last_name",
            "first_name",
            "employee_id",
            "work_month",
            "hours",
            "gross_wages",
            "base_wages",
            "amount",
            "member",
            "matched_by",
            "expected",
            "exception",
            "suspense",
            "payment",
        ]
        read_only_fields = fields


class RemittanceSerializer(serializers.ModelSerializer):
    employer = serializers.SlugRelatedField(slug_field="code", read_only=True)
    work_month = serializers.CharField(read_only=True)
    total = MoneyField(read_only=True)
    control_total = MoneyField(read_only=True, allow_null=True)
    exceptions = serializers.SerializerMethodField()
    lines_url = serializers.SerializerMethodField()

    class Meta:
        model = RemittanceBatch
        fields = [
            "id",
            "employer",
            "work_month",
            "received_on",
            "reference",
            "control_total",
            "total",
            "line_count",
            "status",
            "file_name",
            "file_sha256",
            "reverses",
            "posted_at",
            "exceptions",
            "lines_url",
        ]
        read_only_fields = fields

    def get_exceptions(self, batch: RemittanceBatch) -> dict[str, int]:
        """Lines per exception code."""
        return {e.code: e.count for e in batch_summary(batch).exceptions if e.code}

    def get_lines_url(self, batch: RemittanceBatch) -> str:
        return reverse("api:remittance-lines", args=[batch.pk])


class RemittanceUploadSerializer(serializers.Serializer):
    employer = serializers.SlugRelatedField(slug_field="code", queryset=Employer.objects.all())
    file = serializers.FileField(help_text="CSV or XLSX, with a header row.")
    received_on = serializers.DateField()
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    control_total = MoneyField(help_text="The check's or transfer's amount.")

    def validate_file(self, upload):
        limit = settings.REMITTANCE_MAX_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {limit:,}."
            )
        return upload


class RemittanceFilter(DeclaredFilter):
    params = ("employer", "status")

    def narrow(self, request, queryset):
        params = request.query_params
        if code := params.get("employer"):
            queryset = queryset.filter(employer__code=Employer.code_of(code))
        if status := choice_param(params, "status", BatchStatus.values):
            queryset = queryset.filter(status=status)
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            query_param("employer", {"type": "string"}, "An employer's code."),
            query_param("status", {"type": "string", "enum": BatchStatus.values}),
        ]


class RemittanceList(generics.ListAPIView):
    """Remittances, newest first. POST (multipart) uploads a file: a worker reads and
    matches it into a checked remittance (answer: 202 and the job); nothing is posted."""

    queryset = RemittanceBatch.objects.select_related("employer").order_by("-received_on", "-id")
    serializer_class = RemittanceSerializer
    pagination_class = CountedPagination
    filter_backends = [RemittanceFilter]
    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [
        method_permissions(GET="checkoff.view_remittancebatch", POST="checkoff.add_remittancebatch")
    ]

    @extend_schema(request=RemittanceUploadSerializer, responses={202: JobSerializer})
    def post(self, request: Request) -> Response:
        upload = RemittanceUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        job = remittance_check_start(
            employer=data["employer"],
            upload=data["file"],
            received_on=data["received_on"],
            control_total=data["control_total"],
            reference=data["reference"],
            actor=request.user,
        )
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=202)


class RemittanceDetail(generics.RetrieveAPIView):
    queryset = RemittanceBatch.objects.select_related("employer")
    serializer_class = RemittanceSerializer
    permission_classes = [method_permissions(GET="checkoff.view_remittancebatch")]


class LineFilter(DeclaredFilter):
    params = ("exception", "member")

    def narrow(self, request, queryset):
        params = request.query_params
        if value := params.get("exception"):
            if value == "none":
                queryset = queryset.filter(exception="")
            elif value in LineException.values:
                queryset = queryset.filter(exception=value)
            else:
                raise exceptions.ValidationError(
                    {"exception": f"One of: none, {', '.join(LineException.values)}."}
                )
        if (member := id_param(params, "member")) is not None:
            queryset = queryset.filter(member_id=member)
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            query_param("exception", {"type": "string", "enum": ["none", *LineException.values]}),
            query_param("member", {"type": "integer"}, "A member id."),
        ]


class RemittanceLines(generics.ListAPIView):
    """A remittance's lines in file order, each with its match and exception."""

    serializer_class = RemittanceLineSerializer
    pagination_class = CountedPagination
    filter_backends = [LineFilter]
    permission_classes = [method_permissions(GET="checkoff.view_remittanceline")]

    def get_queryset(self):
        batch = get_object_or_404(RemittanceBatch, pk=self.kwargs["pk"])
        return batch.lines.order_by("row_number", "id")


class RemittancePost(APIView):
    """Post a checked remittance, by a worker (202 and the job). Refused (409) if it is
    posted already; the job's outcome says if its lines do not balance to its control total."""

    permission_classes = [method_permissions(POST="checkoff.post_remittance")]

    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        batch = get_object_or_404(RemittanceBatch, pk=pk)
        if batch.status != BatchStatus.CHECKED:
            raise exceptions.ValidationError(
                {"status": f"This remittance is {batch.get_status_display().lower()}."}
            )
        job = remittance_post_start(batch=batch, actor=request.user)
        job.refresh_from_db()
        return Response(JobSerializer(job).data, status=202)
