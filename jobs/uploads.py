"""The office's one way to take a file in, in the admin: upload → a worker checks every row
(a job with its progress page) → a preview of exactly what would be written → confirm → a
worker writes it all, or none. Member import and check-off's employer and authorization
imports are ModelAdmins with this mixin; a remittance takes the same four steps with a
batch (its check keeps the lines, its preview is the batch's own change page, its
confirmation the post: checkoff/admin/)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from appkit.text import counted

from .models import JobStatus
from .selectors import jobs_visible_to

if TYPE_CHECKING:
    from django import forms

    from .extensions import JobKind
    from .models import Job


class UploadCheckConfirmAdmin:
    """A ModelAdmin mixin: `<list>/import/` takes the file, `<list>/import/<check job>/`
    previews and confirms. A subclass says what it imports and how its jobs start."""

    upload_form: type[forms.Form]
    upload_noun: str  # "members", "employers"
    upload_noun_one: str  # "member", "employer": one of them ("1 member ready to import")
    upload_columns: tuple[str, ...] = ()
    upload_required: tuple[str, ...] = ()
    check_kind: JobKind
    preview_headings: tuple[str, ...] = ()

    def has_upload_permission(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def upload_check_start(self, request: HttpRequest, form: forms.Form) -> Job:
        raise NotImplementedError

    def upload_write_start(self, request: HttpRequest, checked: Job) -> Job:
        raise NotImplementedError

    def upload_url_name(self, suffix: str = "") -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_import{suffix}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.upload_view), name=self.upload_url_name()),
            path(
                "import/<int:job_id>/",
                view(self.upload_preview_view),
                name=self.upload_url_name("_preview"),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        can = self.has_upload_permission(request)
        url = reverse(f"admin:{self.upload_url_name()}") if can else ""
        context = {**(extra_context or {}), "can_import": can, "import_url": url}
        return super().changelist_view(request, context)

    def _upload_context(self, request: HttpRequest, title: str, **more: Any) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "changelist_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
            ),
            "import_url": reverse(f"admin:{self.upload_url_name()}"),
            **more,
        }

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Step 1: the file. A worker checks every row; its page links to the preview."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        form = self.upload_form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = self.upload_check_start(request, form)
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        context = self._upload_context(
            request,
            f"Import {self.upload_noun} from CSV",
            upload_form=form,
            columns=self.upload_columns,
            required=self.upload_required,
        )
        return TemplateResponse(request, "admin/upload.html", context)

    def upload_preview_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """Steps 3 and 4: what a checked file would write; confirming starts the write."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        checked = (
            jobs_visible_to(request.user)
            .filter(pk=job_id, kind=self.check_kind.name, status=JobStatus.SUCCEEDED)
            .first()
        )
        if (
            checked is None
            or checked.outcome.get("error_count")
            or not checked.outcome.get("count")
        ):
            raise Http404("No checked file to import.")
        if request.method == "POST":
            job = self.upload_write_start(request, checked)
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        context = self._upload_context(
            request,
            f"Import {self.upload_noun} from CSV: preview",
            checked=checked,
            counted=counted(checked.outcome["count"], self.upload_noun_one, self.upload_noun),
            headings=self.preview_headings,
        )
        return TemplateResponse(request, "admin/upload_preview.html", context)
