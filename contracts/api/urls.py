"""Contracts API routes (gathered under /api/v1/)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("contracts/", v.ContractListApi.as_view(), name="contract-list"),
    path("contracts/<int:pk>/", v.ContractDetailApi.as_view(), name="contract-detail"),
    path("procurement-routes/", v.RouteListApi.as_view(), name="procurementroute-list"),
    path("procurement-routes/<int:pk>/", v.RouteDetailApi.as_view(), name="procurementroute-detail"),
    path("contract-years/", v.ContractYearListApi.as_view(), name="contractyear-list"),
    path("contract-years/<int:pk>/", v.ContractYearDetailApi.as_view(), name="contractyear-detail"),
    path("variations/", v.VariationListApi.as_view(), name="variation-list"),
    path("variations/<int:pk>/", v.VariationDetailApi.as_view(), name="variation-detail"),
    path("funding-contributions/", v.FundingListApi.as_view(), name="fundingcontribution-list"),
    path("funding-contributions/<int:pk>/", v.FundingDetailApi.as_view(), name="fundingcontribution-detail"),
    path("funded-posts/", v.PostListApi.as_view(), name="fundedpost-list"),
    path("funded-posts/<int:pk>/", v.PostDetailApi.as_view(), name="fundedpost-detail"),
    path("performance-returns/", v.ReturnListApi.as_view(), name="performancereturn-list"),
    path("performance-returns/import/", v.ReturnImportApi.as_view(), name="performancereturn-import"),
    path("performance-returns/<int:pk>/", v.ReturnDetailApi.as_view(), name="performancereturn-detail"),
]
