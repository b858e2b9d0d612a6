from __future__ import annotations

from django.db.models import QuerySet

from .models import Job


def jobs_visible_to(user) -> QuerySet[Job]:
    """A user sees the jobs they started; Admin and Officer (`view_all_jobs`) see all."""
    jobs = Job.objects.select_related("started_by")
    if user.has_perm("jobs.view_all_jobs"):
        return jobs
    return jobs.filter(started_by=user) if user.is_authenticated else jobs.none()
