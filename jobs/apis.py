"""Jobs in the REST API: work an API call started (charge generation) is followed here."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import generics, serializers

from apikit.permissions import method_permissions

from .models import Job
from .selectors import jobs_visible_to


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True, allow_null=True)
    refused = serializers.BooleanField(
        read_only=True,
        help_text="Failed because the work decided not to write (the same job would refuse "
        "again: start afresh, do not retry), not because it broke.",
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "label",
            "status",
            "refused",
            "step",
            "done",
            "total",
            "percent",
            "outcome",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job: Job) -> str:
        """Where to ask again how the job is doing."""
        return reverse("api:job", args=[job.pk])


class JobDetail(generics.RetrieveAPIView):
    """A job you started (Admin and Officer: any): its status, progress and outcome."""

    serializer_class = JobSerializer
    permission_classes = [method_permissions(GET="jobs.view_job")]

    def get_queryset(self):
        return jobs_visible_to(self.request.user)
