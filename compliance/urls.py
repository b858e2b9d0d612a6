from django.urls import path

from . import views

app_name = "compliance"

urlpatterns = [
    path("arrears/", views.arrears, name="arrears"),
    path("arrears/apply/<int:pk>/", views.arrears_apply, name="arrears_apply"),
    path("eligibility/", views.eligibility, name="eligibility"),
    path("eligibility/<int:pk>/", views.eligibility_detail, name="eligibility_detail"),
    path("eligibility/<int:pk>/publish/", views.eligibility_publish, name="eligibility_publish"),
    path("per-capita/", views.per_capita, name="per_capita"),
    path("lm/", views.lm, name="lm"),
]
