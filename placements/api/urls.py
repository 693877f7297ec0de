"""API routes of the placements app (gathered under /api/v1/ by config/api_urls.py)."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("children/", v.ChildListApi.as_view(), name="child-list"),
    path("children/<int:pk>/", v.ChildDetailApi.as_view(), name="child-detail"),
    path("provisions/", v.ProvisionListApi.as_view(), name="provision-list"),
    path("provisions/<int:pk>/", v.ProvisionDetailApi.as_view(), name="provision-detail"),
    path("referrals/", v.ReferralListApi.as_view(), name="referral-list"),
    path("referrals/<int:pk>/", v.ReferralDetailApi.as_view(), name="referral-detail"),
    path("referrals/<int:pk>/stage/", v.ReferralStageApi.as_view(), name="referral-stage"),
    path("referrals/<int:pk>/candidates/", v.ReferralCandidatesApi.as_view(), name="referral-candidates"),
    path("placements/", v.PlacementListApi.as_view(), name="placement-list"),
    path("placements/<int:pk>/", v.PlacementDetailApi.as_view(), name="placement-detail"),
    path("placements/<int:pk>/activate/", v.PlacementActivateApi.as_view(), name="placement-activate"),
    path("placements/<int:pk>/end/", v.PlacementEndApi.as_view(), name="placement-end"),
    path("placements/<int:pk>/cancel/", v.PlacementCancelApi.as_view(), name="placement-cancel"),
    path("placements/<int:pk>/rate/", v.PlacementRateApi.as_view(), name="placement-rate"),
    path("personal-budgets/", v.PersonalBudgetListApi.as_view(), name="personalbudget-list"),
    path("personal-budgets/<int:pk>/", v.PersonalBudgetDetailApi.as_view(), name="personalbudget-detail"),
    path("invoices/", v.InvoiceListApi.as_view(), name="invoice-list"),
    path("invoices/<int:pk>/", v.InvoiceDetailApi.as_view(), name="invoice-detail"),
    path("invoices/<int:pk>/approve/", v.InvoiceApproveApi.as_view(), name="invoice-approve"),
    path("invoices/<int:pk>/dispute/", v.InvoiceDisputeApi.as_view(), name="invoice-dispute"),
    path("invoices/<int:pk>/mark-paid/", v.InvoiceMarkPaidApi.as_view(), name="invoice-mark-paid"),
    path("disputes/", v.DisputeListApi.as_view(), name="dispute-list"),
    path("disputes/<int:pk>/", v.DisputeDetailApi.as_view(), name="dispute-detail"),
    path("disputes/<int:pk>/resolve/", v.DisputeResolveApi.as_view(), name="dispute-resolve"),
    path("reviews/", v.ReviewListApi.as_view(), name="review-list"),
    path("reviews/due/", v.ReviewsDueApi.as_view(), name="review-due"),
    path("reviews/<int:pk>/", v.ReviewDetailApi.as_view(), name="review-detail"),
    path("provision-assurance/", v.ProvisionAssuranceApi.as_view(), name="provision-assurance"),
    path("provision-assurance/children/", v.AssuranceByChildApi.as_view(), name="provision-assurance-children"),
    # NMISS: special-school places through the DPS
    path("placement-requests/", v.PlacementRequestListApi.as_view(), name="placementrequest-list"),
    path("placement-requests/<int:pk>/", v.PlacementRequestDetailApi.as_view(), name="placementrequest-detail"),
    path(
        "placement-requests/<int:pk>/eligible-schools/",
        v.EligibleSchoolsApi.as_view(),
        name="placementrequest-eligible-schools",
    ),
    path("placement-requests/<int:pk>/invite/", v.PlacementRequestInviteApi.as_view(), name="placementrequest-invite"),
    path(
        "placement-requests/<int:pk>/ranking/", v.PlacementRequestRankingApi.as_view(), name="placementrequest-ranking"
    ),
    path("placement-requests/<int:pk>/award/", v.PlacementRequestAwardApi.as_view(), name="placementrequest-award"),
    path("placement-requests/<int:pk>/cancel/", v.PlacementRequestCancelApi.as_view(), name="placementrequest-cancel"),
    path("invitations/", v.InvitationListApi.as_view(), name="invitation-list"),
    path("invitations/<int:pk>/", v.InvitationDetailApi.as_view(), name="invitation-detail"),
    path("invitations/<int:pk>/decline/", v.InvitationDeclineApi.as_view(), name="invitation-decline"),
    path("offers/", v.OfferListApi.as_view(), name="offer-list"),
    path("offers/<int:pk>/", v.OfferDetailApi.as_view(), name="offer-detail"),
    path("offers/<int:pk>/score/", v.OfferScoreApi.as_view(), name="offer-score"),
    path("school-placements/", v.SchoolPlacementListApi.as_view(), name="schoolplacement-list"),
    path("school-placements/<int:pk>/", v.SchoolPlacementDetailApi.as_view(), name="schoolplacement-detail"),
    path("school-placements/<int:pk>/end/", v.SchoolPlacementEndApi.as_view(), name="schoolplacement-end"),
    path("fee-uplifts/", v.FeeUpliftListApi.as_view(), name="feeuplift-list"),
    path("fee-uplifts/<int:pk>/", v.FeeUpliftDetailApi.as_view(), name="feeuplift-detail"),
    path("block-contracts/", v.BlockContractListApi.as_view(), name="blockcontract-list"),
    path("block-contracts/<int:pk>/", v.BlockContractDetailApi.as_view(), name="blockcontract-detail"),
]
