"""The office's admin site: Django's, made the default site by unionhall.apps."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accounts.login_guard import LockoutAdminAuthenticationForm


class OfficeAdminSite(admin.AdminSite):
    site_header = "Union Hall"
    site_title = "Union Hall"
    index_title = "Membership and dues"
    login_form = LockoutAdminAuthenticationForm
    # No sidebar of every model beside each page: a record or a list reads full width,
    # the office's home lists the models and the header names the office's pages. Building
    # and drawing sixty models' links was a third of what a member's page cost.
    enable_nav_sidebar = False

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
