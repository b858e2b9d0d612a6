from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("arrears/", views.arrears, name="arrears"),
    path("eligibility/", views.eligibility, name="eligibility"),
    path("eligibility/<int:pk>/", views.eligibility_detail, name="eligibility_detail"),
    path("per-capita/", views.per_capita, name="per_capita"),
    path("lm/", views.lm, name="lm"),
]
