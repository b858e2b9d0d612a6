"""Remittances in the admin: upload a file (an employer chosen from the report or its
page), a worker checks it, the batch's page previews every line's match and exception with
the totals, an officer confirms what posting will do and posts it (a worker again), or
later reverses it."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from appkit.admin import money_column
from audit.admin import KeptRecordsAdmin

from ..for_jobs import remittance_check_start, remittance_post_start
from ..forms import RemittanceUploadForm, ReversalForm
from ..hand_matching import MATCH_PERMISSION
from ..models import BatchStatus, Employer, LineException, RemittanceBatch
from ..selectors import batch_summary, posting_plan
from ..services import remittance_reverse

LINES_PER_PAGE = 100


@admin.register(RemittanceBatch)
class RemittanceBatchAdmin(KeptRecordsAdmin):
    list_display = [
        "__str__",
        "employer",
        "received_on",
        money_column("total", "Lines total"),
        money_column("control_total", "Control total"),
        "line_count",
        "status",
    ]
    list_filter = ["status", "employer"]
    list_select_related = ["employer"]
    search_fields = ["=reference", "employer__code"]
    change_form_template = "admin/checkoff/remittancebatch/preview.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("checkoff.add_remittancebatch")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:batch_id>/post/", view(self.post_view), name="checkoff_remittancebatch_post"
            ),
            path(
                "<int:batch_id>/reverse/",
                view(self.reverse_view),
                name="checkoff_remittancebatch_reverse",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        """Upload a remittance: a worker reads and matches it (a job with a progress page),
        then the batch's page previews it for posting."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        # From the employers' report or an employer's page: that employer chosen (a number
        # that names none is left unchosen, for the person to choose).
        chosen = request.GET.get("employer", "")
        employer = (
            Employer.objects.filter(pk=int(chosen)).first()
            if chosen.isdigit() and len(chosen) < 10
            else None
        )
        upload = RemittanceUploadForm(
            request.POST or None,
            request.FILES or None,
            initial={"employer": employer.pk} if employer else {},
        )
        if request.method == "POST" and upload.is_valid():
            data = upload.cleaned_data
            job = remittance_check_start(
                employer=data["employer"],
                upload=data["file"],
                received_on=data["received_on"],
                control_total=data["control_total"],
                reference=data["reference"],
                actor=request.user,
            )
            return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Upload a remittance from {employer}" if employer else "Upload a remittance",
            "upload_form": upload,
        }
        return TemplateResponse(request, "admin/checkoff/remittancebatch/upload.html", context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """The batch: totals by exception, every line with its match (a page at a time, by
        exception), and the buttons to post or reverse it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(
            RemittanceBatch.objects.select_related("employer", "reverses"), pk=object_id
        )
        lines = batch.lines.select_related("member", "resolution").order_by("row_number", "id")
        shown = request.GET.get("exception", "")
        if shown == "none":
            lines = lines.filter(exception="")
        elif shown in LineException.values:
            lines = lines.filter(exception=shown)
        page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
        can_post = request.user.has_perm("checkoff.post_remittance")
        summary = batch_summary(batch)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{batch} from {batch.employer.code}",
            "batch": batch,
            "summary": summary,
            "unmatched_count": sum(
                e.count for e in summary.exceptions if e.code == LineException.UNMATCHED
            ),
            "page": page,
            "shown": shown,
            "exceptions": LineException.choices,
            "can_post": can_post and batch.status == BatchStatus.CHECKED,
            "can_reverse": can_post
            and batch.status == BatchStatus.POSTED
            and not batch.reverses_id,
            "can_resolve": request.user.has_perm("checkoff.add_suspenseresolution"),
            "can_match": request.user.has_perm(MATCH_PERMISSION)
            and batch.status == BatchStatus.CHECKED,
            "reversal_form": ReversalForm(),
            "object_id": batch.pk,
            "original": batch,
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def post_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        """Posting, confirmed: the page says what posting will do (each member credited and
        how much, each line to suspense, what posts nothing); its button posts exactly that,
        or, if the lines changed since it was drawn, shows it again."""
        if not request.user.has_perm("checkoff.post_remittance"):
            raise PermissionDenied
        batch = get_object_or_404(RemittanceBatch.objects.select_related("employer"), pk=batch_id)
        back = reverse("admin:checkoff_remittancebatch_change", args=[batch.pk])
        if batch.status != BatchStatus.CHECKED:
            messages.info(request, f"{batch} is {batch.get_status_display().lower()}.")
            return HttpResponseRedirect(back)
        if not batch.balanced:
            messages.error(request, batch.imbalance)
            return HttpResponseRedirect(back)
        plan = posting_plan(batch)
        if request.method == "POST":
            if request.POST.get("plan") == plan.fingerprint:
                job = remittance_post_start(
                    batch=batch, actor=request.user, confirmed_plan=plan.fingerprint
                )
                return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
            messages.warning(
                request,
                "The remittance changed since that page was drawn (a line was matched): "
                "this is what posting will do now. Nothing was posted.",
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Post {batch} from {batch.employer.code}?",
            "batch": batch,
            "plan": plan,
        }
        return TemplateResponse(
            request, "admin/checkoff/remittancebatch/post_confirm.html", context
        )

    def reverse_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        if not request.user.has_perm("checkoff.post_remittance"):
            raise PermissionDenied
        batch = get_object_or_404(RemittanceBatch, pk=batch_id)
        back = reverse("admin:checkoff_remittancebatch_change", args=[batch.pk])
        form = ReversalForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            messages.error(request, "Say why the remittance is reversed.")
            return HttpResponseRedirect(back)
        try:
            reversal = remittance_reverse(
                batch=batch, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(back)
        messages.success(request, f"{batch} is reversed by {reversal}; its payments are refunded.")
        return HttpResponseRedirect(
            reverse("admin:checkoff_remittancebatch_change", args=[reversal.pk])
        )
