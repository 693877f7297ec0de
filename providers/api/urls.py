"""Providers API routes (gathered under /api/v1/)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("providers/", v.ProviderListApi.as_view(), name="provider-list"),
    path("providers/<int:pk>/", v.ProviderDetailApi.as_view(), name="provider-detail"),
    path("provider-lists/", v.ProviderListListApi.as_view(), name="providerlist-list"),
    path("provider-lists/<int:pk>/", v.ProviderListDetailApi.as_view(), name="providerlist-detail"),
    path("memberships/", v.MembershipListApi.as_view(), name="membership-list"),
    path("memberships/<int:pk>/", v.MembershipDetailApi.as_view(), name="membership-detail"),
    path("selection-questionnaires/", v.QuestionnaireListApi.as_view(), name="selectionquestionnaire-list"),
    path(
        "selection-questionnaires/<int:pk>/", v.QuestionnaireDetailApi.as_view(), name="selectionquestionnaire-detail"
    ),
    path(
        "selection-questionnaires/<int:pk>/submit/",
        v.QuestionnaireSubmitApi.as_view(),
        name="selectionquestionnaire-submit",
    ),
    path(
        "selection-questionnaires/<int:pk>/approve/",
        v.QuestionnaireApproveApi.as_view(),
        name="selectionquestionnaire-approve",
    ),
    path(
        "selection-questionnaires/<int:pk>/reject/",
        v.QuestionnaireRejectApi.as_view(),
        name="selectionquestionnaire-reject",
    ),
    path(
        "selection-questionnaires/<int:pk>/request-clarification/",
        v.QuestionnaireClarifyApi.as_view(),
        name="selectionquestionnaire-request-clarification",
    ),
    path("pricing-schedules/", v.PricingScheduleListApi.as_view(), name="pricingschedule-list"),
    path("pricing-schedules/<int:pk>/", v.PricingScheduleDetailApi.as_view(), name="pricingschedule-detail"),
    path("compliance-documents/", v.ComplianceDocumentListApi.as_view(), name="compliancedocument-list"),
    path("compliance-documents/<int:pk>/", v.ComplianceDocumentDetailApi.as_view(), name="compliancedocument-detail"),
    path(
        "compliance-documents/<int:pk>/verify/",
        v.ComplianceDocumentVerifyApi.as_view(),
        name="compliancedocument-verify",
    ),
    path(
        "compliance-documents/<int:pk>/reject/",
        v.ComplianceDocumentRejectApi.as_view(),
        name="compliancedocument-reject",
    ),
    path(
        "compliance-documents/<int:pk>/download/",
        v.ComplianceDocumentDownloadApi.as_view(),
        name="compliancedocument-download",
    ),
    path("capacity-declarations/", v.CapacityDeclarationListApi.as_view(), name="capacitydeclaration-list"),
    path(
        "capacity-declarations/<int:pk>/", v.CapacityDeclarationDetailApi.as_view(), name="capacitydeclaration-detail"
    ),
]
