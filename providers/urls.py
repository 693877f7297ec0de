"""Pages of the providers app (mounted at /providers/)."""

from django.urls import path

from . import views

app_name = "providers"

sq = "portal/applications/<int:pk>/"
urlpatterns = [
    path("", views.DirectoryView.as_view(), name="provider-list"),
    path("all/", views.ProviderAllListView.as_view(), name="provider-list-all"),
    path("<int:pk>/", views.ProviderDetailView.as_view(), name="provider-detail"),
    path("<int:pk>/arrangement/", views.LegacyArrangementView.as_view(), name="provider-legacy"),
    path("join/", views.JoinView.as_view(), name="join"),
    path("import/", views.ImportView.as_view(), name="provider-import"),
    path("settings/insurance/", views.InsuranceMinimumsView.as_view(), name="insurance-minimums"),
    # The provider portal
    path("portal/", views.PortalView.as_view(), name="portal"),
    path("portal/apply/<int:list_pk>/", views.QuestionnaireStartView.as_view(), name="sq-start"),
    path("portal/pricing/", views.PortalPricingView.as_view(), name="portal-pricing"),
    path("portal/capacity/", views.PortalCapacityView.as_view(), name="portal-capacity"),
    path("portal/documents/", views.PortalDocumentsView.as_view(), name="portal-documents"),
    path("portal/memberships/<int:pk>/leave/", views.MembershipLeaveView.as_view(), name="membership-leave"),
    # The Selection Questionnaire, one topic a page
    path(sq, views.QuestionnaireTasksView.as_view(), name="sq-tasks"),
    path(sq + "organisation/", views.OrganisationView.as_view(), name="sq-organisation"),
    path(sq + "services/", views.ServicesView.as_view(), name="sq-services"),
    path(sq + "practitioners/", views.PractitionerListView.as_view(), name="sq-practitioners"),
    path(sq + "practitioners/add/", views.PractitionerFormView.as_view(), name="sq-practitioner-add"),
    path(sq + "practitioners/<int:pp>/", views.PractitionerFormView.as_view(), name="sq-practitioner-edit"),
    path(sq + "practitioners/<int:pp>/remove/", views.PractitionerRemoveView.as_view(), name="sq-practitioner-remove"),
    path(sq + "insurance/", views.InsuranceListView.as_view(), name="sq-insurance"),
    path(sq + "insurance/<slug:kind>/", views.InsuranceFormView.as_view(), name="sq-insurance-edit"),
    path(sq + "safeguarding/", views.SafeguardingView.as_view(), name="sq-safeguarding"),
    path(sq + "evidence/", views.EvidenceView.as_view(), name="sq-evidence"),
    path(sq + "capacity/", views.CapacityView.as_view(), name="sq-capacity"),
    path(sq + "pricing/", views.PricingView.as_view(), name="sq-pricing"),
    path(sq + "lots/", views.LotsView.as_view(), name="sq-lots"),
    path(sq + "school/", views.SchoolView.as_view(), name="sq-school"),
    path(sq + "fees/", views.FeesView.as_view(), name="sq-fees"),
    path(sq + "check/", views.CheckAnswersView.as_view(), name="sq-check"),
    path(sq + "declaration/", views.DeclarationView.as_view(), name="sq-declaration"),
    path(sq + "confirmation/", views.ConfirmationView.as_view(), name="sq-confirmation"),
    # Officer review
    path("applications/", views.ReviewQueueView.as_view(), name="sq-review-list"),
    path("applications/<int:pk>/", views.ReviewView.as_view(), name="sq-review"),
    path("applications/<int:pk>/start-review/", views.ReviewStartView.as_view(), name="sq-review-start"),
    # Evidence files
    path("documents/<int:pk>/download/", views.DocumentDownloadView.as_view(), name="document-download"),
    path("documents/<int:pk>/verify/", views.DocumentVerifyView.as_view(), name="document-verify"),
    path("documents/<int:pk>/reject/", views.DocumentRejectView.as_view(), name="document-reject"),
]
