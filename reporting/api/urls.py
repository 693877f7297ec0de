"""Report run API routes."""

from django.urls import path

from . import views

urlpatterns = [
    path("report-runs/", views.ReportRunListCreateApi.as_view(), name="reportrun-list"),
    path("report-runs/<int:pk>/", views.ReportRunDetailApi.as_view(), name="reportrun-detail"),
    path("report-runs/<int:pk>/download/", views.ReportRunDownloadApi.as_view(), name="reportrun-download"),
]
