"""Jobs in the admin: the recent ones with who started them, and each job's page with its
progress bar (refreshed by itself), outcome, download and retry."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from appkit.admin import DeclaredFiltersAdmin, ReadOnlyAdminMixin

from .display import (
    content_disposition,
    job_back,
    job_counts,
    job_download_name,
    job_findings,
    job_numbers,
    job_status_label,
    job_tone,
)
from .models import Job, JobStatus
from .selectors import jobs_visible_to
from .services import job_retry, job_retryable

# The queue's own rows are plumbing: the office follows its work here, as jobs.
admin.site.unregister(DBTaskResult)


@admin.register(Job)
class JobAdmin(ReadOnlyAdminMixin, DeclaredFiltersAdmin):
    list_display = ["label", "status_shown", "progress", "started_by", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["started_by"]
    show_full_result_count = False
    actions = None
    fields = ["label", "status", "started_by", "created_at", "started_at", "finished_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return jobs_visible_to(request.user)

    @admin.display(description="Status", ordering="status")
    def status_shown(self, job: Job) -> str:
        return job_status_label(job)

    @admin.display(description="Progress")
    def progress(self, job: Job) -> str:
        return job_numbers(job)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/status/", view(self.status_view), name="jobs_job_status"),
            path("<int:pk>/retry/", view(self.retry_view), name="jobs_job_retry"),
            path("<int:pk>/download/", view(self.download_view), name="jobs_job_download"),
            *super().get_urls(),
        ]

    def _job(self, request: HttpRequest, pk: int) -> Job:
        job = self.get_queryset(request).filter(pk=pk).first()
        if job is None:
            raise Http404("No such job.")
        return job

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """The job's page: its progress, refreshed by itself, and what came of it."""
        if not str(object_id).isdigit():
            raise Http404("No such job.")
        job = self._job(request, int(object_id))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job.label,
            "job": job,
            "status_url": reverse("admin:jobs_job_status", args=[job.pk]),
            "status_label": job_status_label(job),
            "retryable": job_retryable(job),
            "numbers": job_numbers(job),
            "tone": job_tone(job),
            "findings": job_findings(job),
            "back": job_back(job),
            "download_name": job_download_name(job) if job.result else "",
        }
        return TemplateResponse(request, "admin/jobs/job/job.html", context)

    def status_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        return JsonResponse(job_status(self._job(request, pk)))

    def retry_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST":
            raise PermissionDenied("Retry by the button on the job's page.")
        job = self._job(request, pk)
        try:
            job_retry(job=job, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{job.label}: started again.")
        return redirect("admin:jobs_job_change", job.pk)

    def download_view(self, request: HttpRequest, pk: int) -> FileResponse:
        job = self._job(request, pk)
        if job.status != JobStatus.SUCCEEDED or not job.result:
            raise Http404("This job has no file to download.")
        try:
            file = job.result.open("rb")
        except OSError:  # gone from storage (cleaned up, a lost shared disk): not an error of ours
            raise Http404("This job's file is no longer kept; run the job again.") from None
        name = job_download_name(job)
        response = FileResponse(file, as_attachment=True, filename=name)
        response["Content-Disposition"] = content_disposition(name)
        return response


def job_status(job: Job) -> dict:
    """What the job's page shows, as it refreshes itself."""
    end = job.finished_at or timezone.now()
    elapsed = (end - job.started_at).total_seconds() if job.started_at else 0
    rate = job.done / elapsed if elapsed > 0 and job.done else None
    done, total = job_counts(job)
    left = (total - done) / rate if rate and total and job.is_active else None
    return {
        "id": job.pk,
        "label": job.label,
        "status": job.status,
        "status_label": job_status_label(job),
        "step": job.step,
        "done": done,
        "total": total,
        "numbers": job_numbers(job),
        "percent": job.percent,
        "rate_per_second": round(rate, 1) if rate else None,
        "seconds_left": round(left) if left is not None else None,
        "outcome": job.outcome,
        "error": job.error,
        "finished": not job.is_active,
        "retryable": job_retryable(job),
        "download_url": (
            reverse("admin:jobs_job_download", args=[job.pk])
            if job.status == JobStatus.SUCCEEDED and job.result
            else None
        ),
        "retry_url": reverse("admin:jobs_job_retry", args=[job.pk]),
    }
