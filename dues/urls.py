from django.urls import include, path

from . import views
from .extensions import PAY_ACTIONS

app_name = "dues"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("my/", views.my_dues, name="my"),
    path("members/<int:member_id>/", views.member_dues, name="member"),
    path("reports/arrears/", views.arrears_report, name="arrears"),
    path("reports/collections/", views.collections_report, name="collections"),
    path("receipts/<int:payment_id>/", views.receipt, name="receipt"),
    path("receipts/<int:payment_id>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("members/<int:member_id>/statement/", views.statement, name="statement"),
    # The pages of each way to pay (`dues.pay_actions`: the payments app's checkout).
    *(path("payments/", include(action.urls)) for action in PAY_ACTIONS.declarations()),
]
