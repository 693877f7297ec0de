"""Contract pages (mounted at /contracts/)."""

from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    path("", views.ContractListView.as_view(), name="contract-list"),
    path("new/", views.ContractFormView.as_view(), name="contract-create"),
    path("<int:pk>/", views.ContractDetailView.as_view(), name="contract-detail"),
    path("<int:pk>/edit/", views.ContractFormView.as_view(), name="contract-edit"),
    path("<int:pk>/status/", views.ContractStatusView.as_view(), name="contract-status"),
    path("<int:pk>/add/<slug:part>/", views.ContractPartView.as_view(), name="contract-part"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("routes/", views.RouteListView.as_view(), name="route-list"),
    path("routes/<int:pk>/", views.RouteUpdateView.as_view(), name="route-edit"),
    path("returns/", views.ComparisonView.as_view(), name="performance-comparison"),
    path("returns/upload/", views.ReturnUploadView.as_view(), name="performance-upload"),
    path("returns/template.csv", views.ReturnTemplateView.as_view(), name="performance-template"),
]
