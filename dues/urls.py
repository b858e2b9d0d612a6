from django.urls import path

from . import views

app_name = "dues"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("members/<int:member_id>/", views.member_dues, name="member"),
    path("reports/arrears/", views.arrears_report, name="arrears"),
    path("reports/collections/", views.collections_report, name="collections"),
]
