from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from members import views as member_views

from . import views

admin.site.site_header = "Union Hall"
admin.site.site_title = "Union Hall"
admin.site.index_title = "Membership and dues"

urlpatterns = [
    path("", member_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("payments.urls")),
    path("dues/", include("dues.urls")),
    path("healthz", views.healthz, name="healthz"),
]
