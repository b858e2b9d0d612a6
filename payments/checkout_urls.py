"""The pages of paying online, mounted by the dues app under /dues/payments/ (the
`dues.pay_actions` extension point): /dues/payments/initiate/..., success/, cancel/."""

from django.urls import path

from . import views

app_name = "checkout"

urlpatterns = [
    path(
        "initiate/<int:member_id>/<int:period_id>/",
        views.checkout_initiate,
        name="initiate",
    ),
    path("initiate/<int:member_id>/all/", views.checkout_initiate, name="initiate_all"),
    path("success/", views.checkout_success, name="success"),
    path("cancel/", views.checkout_cancel, name="cancel"),
    path("autopay/start/", views.autopay_start, name="autopay_start"),
    path("autopay/done/", views.autopay_done, name="autopay_done"),
    path("autopay/cancel/", views.autopay_stop, name="autopay_cancel"),
]
