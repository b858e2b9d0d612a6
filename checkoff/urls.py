from django.urls import path

from . import views

app_name = "checkoff"

urlpatterns = [
    path("", views.employers_report, name="employers"),
]
