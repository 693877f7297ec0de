"""Reference data API routes."""

from django.urls import path

from . import views

urlpatterns = [
    path("districts/", views.DistrictListApi.as_view(), name="district-list"),
    path("districts/<int:pk>/", views.DistrictDetailApi.as_view(), name="district-detail"),
    path("therapy-types/", views.TherapyTypeListApi.as_view(), name="therapytype-list"),
    path("therapy-types/<int:pk>/", views.TherapyTypeDetailApi.as_view(), name="therapytype-detail"),
    path("primary-needs/", views.PrimaryNeedListApi.as_view(), name="primaryneed-list"),
    path("primary-needs/<int:pk>/", views.PrimaryNeedDetailApi.as_view(), name="primaryneed-detail"),
]
