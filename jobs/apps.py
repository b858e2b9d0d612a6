from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Long work done by a worker, with a page that follows it (docs/design.md §1). Generic: the
    apps above declare the kinds of work they hand it (`jobs.kinds`, `jobs.schedule`)."""

    name = "jobs"
    verbose_name = "Jobs"
