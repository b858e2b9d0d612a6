from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("dues/my/", views.my_dues, name="my_dues"),
    path(
        "dues/payments/initiate/<int:member_id>/<int:period_id>/",
        views.checkout_initiate,
        name="initiate",
    ),
    path("dues/payments/success/", views.checkout_success, name="success"),
    path("dues/payments/cancel/", views.checkout_cancel, name="cancel"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
]
