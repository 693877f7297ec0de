"""Report pages (mounted at /reports/)."""

from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.ReportRunListView.as_view(), name="reportrun-list"),
    path("new/<slug:kind>/", views.ReportRunCreateView.as_view(), name="reportrun-create"),
    path("<int:pk>/", views.ReportRunDetailView.as_view(), name="reportrun-detail"),
    path("<int:pk>/download/<str:fmt>/", views.ReportRunDownloadView.as_view(), name="reportrun-download"),
    path("<int:pk>/charts/<slug:key>.svg", views.ReportChartView.as_view(), name="reportrun-chart"),
    path("subscriptions/<slug:kind>/", views.ReportSubscriptionView.as_view(), name="reportsubscription-set"),
]
