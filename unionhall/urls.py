from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView

from accounts.login_guard import LockoutAuthenticationForm
from accounts.views import PasswordResetConfirm
from members import views as member_views

from . import views

urlpatterns = [
    path("", member_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # A forgotten password: a link by email to set a new one (Django's own views; the new
    # one is set in the name of the link's user, who is not logged in).
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # The office's own way in: the admin's login page links here ("Forgotten your
    # password?", Django's admin shows it when this name exists); the same pages, in the
    # site's templates, that lead back to the office's login.
    path(
        "admin/password-reset/",
        auth_views.PasswordResetView.as_view(
            success_url=reverse_lazy("admin_password_reset_done"),
            extra_context={"office": True},
        ),
        name="admin_password_reset",
    ),
    path(
        "admin/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(extra_context={"office": True}),
        name="admin_password_reset_done",
    ),
    path("my/contact/", member_views.contact_update, name="contact_update"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("unionhall.api_urls", "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("payments.urls")),
    path("dues/reports/employers/", include("checkoff.urls")),
    path("dues/", include("dues.urls")),
    path("compliance/", include("compliance.urls")),
    path("referral/", include("referral.urls")),
    path("healthz", views.healthz, name="healthz"),
]

handler403 = "unionhall.errors.forbidden"
handler404 = "unionhall.errors.not_found"
handler500 = "unionhall.errors.server_error"
