from django.contrib.admin.apps import AdminConfig


class OfficeAdminConfig(AdminConfig):
    """django.contrib.admin, with the office's site as `admin.site`."""

    default_site = "unionhall.admin_site.OfficeAdminSite"
