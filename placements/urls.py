"""Pages of the placements app."""

from django.urls import path

from . import views

app_name = "placements"

urlpatterns = [
    # Children and their plans
    path("children/", views.ChildListView.as_view(), name="child-list"),
    path("children/new/", views.ChildCreateView.as_view(), name="child-create"),
    path("children/<int:pk>/", views.ChildDetailView.as_view(), name="child-detail"),
    path("children/<int:pk>/edit/", views.ChildEditView.as_view(), name="child-edit"),
    path("children/<int:pk>/export.<slug:fmt>", views.ChildSubjectAccessView.as_view(), name="child-export"),
    path("children/<int:pk>/provision/new/", views.ProvisionCreateView.as_view(), name="provision-create"),
    path("provision/<int:pk>/edit/", views.ProvisionEditView.as_view(), name="provision-edit"),
    path("provision/<int:pk>/refer/", views.ReferralCreateView.as_view(), name="referral-create"),
    # The waiting list and sourcing
    path("waiting-list/", views.ReferralListView.as_view(), name="referral-list"),
    path("waiting-list/<int:pk>/", views.ReferralDetailView.as_view(), name="referral-detail"),
    path("waiting-list/<int:pk>/stage/", views.ReferralStageView.as_view(), name="referral-stage"),
    path("waiting-list/<int:pk>/find-provider/", views.ReferralCandidatesView.as_view(), name="referral-candidates"),
    path(
        "provision/<int:pk>/arrange/<slug:arrangement>/",
        views.PlacementCreateView.as_view(),
        name="placement-create",
    ),
    # Placements
    path("placements/", views.PlacementListView.as_view(), name="placement-list"),
    path("placements/<int:pk>/", views.PlacementDetailView.as_view(), name="placement-detail"),
    path("placements/<int:pk>/activate/", views.PlacementActivateView.as_view(), name="placement-activate"),
    path("placements/<int:pk>/end/", views.PlacementEndView.as_view(), name="placement-end"),
    path("placements/<int:pk>/cancel/", views.PlacementCancelView.as_view(), name="placement-cancel"),
    path("placements/<int:pk>/rate/", views.PlacementVaryView.as_view(), name="placement-vary"),
    path("placements/<int:pk>/review/", views.ReviewCreateView.as_view(), name="review-create"),
    path("placements/<int:pk>/dispute/", views.DisputeCreateView.as_view(), name="dispute-create"),
    path("placements/<int:pk>/invoice/", views.InvoiceCreateView.as_view(), name="invoice-create"),
    path("personal-budgets/<int:pk>/edit/", views.PersonalBudgetEditView.as_view(), name="personalbudget-edit"),
    path("reviews/due/", views.ReviewDueListView.as_view(), name="review-due-list"),
    # Invoices and disputes
    path("invoices/", views.InvoiceListView.as_view(), name="invoice-list"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/approve/", views.InvoiceApproveView.as_view(), name="invoice-approve"),
    path("invoices/<int:pk>/dispute/", views.InvoiceDisputeView.as_view(), name="invoice-dispute"),
    path("invoices/<int:pk>/paid/", views.InvoiceMarkPaidView.as_view(), name="invoice-mark-paid"),
    path("disputes/", views.DisputeListView.as_view(), name="dispute-list"),
    path("disputes/<int:pk>/", views.DisputeDetailView.as_view(), name="dispute-detail"),
    path("disputes/<int:pk>/resolve/", views.DisputeResolveView.as_view(), name="dispute-resolve"),
    # Provision assurance
    path("assurance/", views.ProvisionAssuranceView.as_view(), name="provision-assurance"),
    # NMISS: school places through the DPS
    path("school-places/", views.SchoolPlacementListView.as_view(), name="schoolplacement-list"),
    path("school-places/new/", views.SchoolPlacementCreateView.as_view(), name="schoolplacement-create"),
    path("school-places/<int:pk>/", views.SchoolPlacementDetailView.as_view(), name="schoolplacement-detail"),
    path("school-places/<int:pk>/uplift/", views.FeeUpliftCreateView.as_view(), name="feeuplift-create"),
    path("school-places/<int:pk>/end/", views.SchoolPlacementEndView.as_view(), name="schoolplacement-end"),
    path("school-places/requests/", views.PlacementRequestListView.as_view(), name="placementrequest-list"),
    path(
        "children/<int:pk>/school-place/new/",
        views.PlacementRequestCreateView.as_view(),
        name="placementrequest-create",
    ),
    path(
        "school-places/requests/<int:pk>/",
        views.PlacementRequestDetailView.as_view(),
        name="placementrequest-detail",
    ),
    path(
        "school-places/requests/<int:pk>/invite/",
        views.PlacementRequestInviteView.as_view(),
        name="placementrequest-invite",
    ),
    path(
        "school-places/requests/<int:pk>/award/",
        views.PlacementRequestAwardView.as_view(),
        name="placementrequest-award",
    ),
    path(
        "school-places/requests/<int:pk>/cancel/",
        views.PlacementRequestCancelView.as_view(),
        name="placementrequest-cancel",
    ),
    path("school-places/invitations/<int:pk>/offer/", views.OfferCreateView.as_view(), name="offer-create"),
    path(
        "school-places/invitations/<int:pk>/decline/",
        views.InvitationDeclineView.as_view(),
        name="invitation-decline",
    ),
    path("school-places/offers/<int:pk>/score/", views.OfferScoreView.as_view(), name="offer-score"),
    path("school-places/blocks/", views.BlockContractListView.as_view(), name="blockcontract-list"),
    path("school-places/blocks/new/", views.BlockContractCreateView.as_view(), name="blockcontract-create"),
    path("school-places/history/", views.NmissHistoryView.as_view(), name="nmisshistory-list"),
]
