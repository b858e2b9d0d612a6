"""The office's admin site: Django's, made the default site by unionhall.apps."""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse

from accounts.login_guard import LockoutAdminAuthenticationForm


class OfficeAdminSite(admin.AdminSite):
    site_header = "Union Hall"
    site_title = "Union Hall"
    index_title = "Membership and dues"
    login_form = LockoutAdminAuthenticationForm
    # Django's, with "Forgotten your password?" (unionhall/urls.py: admin_password_reset).
    login_template = "admin/office_login.html"
    # No sidebar of every model beside each page: a record or a list reads full width,
    # the office's home lists the models and the header names the office's pages. Building
    # and drawing sixty models' links was a third of what a member's page cost.
    enable_nav_sidebar = False

    def admin_view(self, view, cacheable=False):
        """Django's: an active staff login, else the admin's login page; never cached. Every
        page of the office goes through it (the admin's own, and `appkit.admin.office_view`'s:
        the dues, governance and check-off pages). Someone logged in without staff access (a
        member) is sent on to their own pages, kindly, rather than asked to log in again.
        The answer stays a 403: the page exists and is not theirs (a 200 would read as the
        office's page to caches, monitors and tests)."""
        admitted = super().admin_view(view, cacheable)

        @wraps(admitted)
        def inner(request: HttpRequest, *args, **kwargs):
            if (
                request.user.is_authenticated
                and not self.has_permission(request)
                and request.path != reverse("admin:logout", current_app=self.name)
            ):
                return render(request, "office_for_staff.html", status=403)
            return admitted(request, *args, **kwargs)

        return inner

    def each_context(self, request: HttpRequest) -> dict:
        # Django's, without `available_apps`: that list is built for the sidebar alone
        # (the home builds its own).
        script_name = request.META.get("SCRIPT_NAME", "")
        return {
            "site_title": self.site_title,
            "site_header": self.site_header,
            "site_url": script_name if self.site_url == "/" and script_name else self.site_url,
            "has_permission": self.has_permission(request),
            "available_apps": [],
            "is_popup": False,
            "is_nav_sidebar_enabled": False,
            "log_entries": self.get_log_entries(request),
        }
