"""The children's therapy API: reads over the selectors with the pages' filters; writes through the services.

Reads declare their capability in `read_permission_required` and creations in `permission_required`
(checked before anything else, whatever record the body names; that record must then be in scope, or 404).
Actions on a record check scope first, then capability (STYLE.md section 8): a record the person may not
see is a 404, and only then is a missing capability a 403.
What each answer says about a child is decided by the serializers (see `serializers.audience_of`).
"""

from functools import cached_property

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.response import Response

from core.services import record_access
from placements import selectors, services
from placements.filters import (
    BlockContractFilter,
    ChildFilter,
    DisputeFilter,
    FeeUpliftFilter,
    InvitationFilter,
    InvoiceFilter,
    OfferFilter,
    PersonalBudgetFilter,
    PlacementFilter,
    PlacementRequestFilter,
    ProvisionFilter,
    ReferralFilter,
    ReviewFilter,
    SchoolPlacementFilter,
)
from placements.models import (
    BlockContract,
    Child,
    Dispute,
    FeeUplift,
    Invitation,
    Invoice,
    Offer,
    PersonalBudget,
    Placement,
    PlacementRequest,
    Provision,
    Referral,
    Review,
    SchoolPlacement,
)
from providers.models import Provider
from providers.selectors import qpl_candidates

from . import serializers as s
from .serializers import Audience, audience_of

CHILD_ACCESS = "child record (API)"


class ChildrenApi:
    token_scope = "children"


class InvoicesApi:
    token_scope = "invoices"


def require(request, permission: str) -> None:
    """The capability, checked once the record is known to be in scope."""
    if not request.user.has_perm(permission):
        raise PermissionDenied


def found(get, *, user, pk: int):
    """A selector's `<entity>_get`, with a record that is missing or out of scope as a 404."""
    try:
        return get(user=user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404 from None


def valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def created(serializer) -> Response:
    return Response(serializer.data, status=status.HTTP_201_CREATED)


# Children --------------------------------------------------------------------------------------


class ChildListApi(ChildrenApi, ListAPIView):
    serializer_class = s.ChildSerializer
    filterset_class = ChildFilter
    read_permission_required = "placements.view_child"
    permission_required = "placements.add_child"
    ordering_fields = ["ehcp_reference", "created_at"]
    queryset = Child.objects.none()  # the model, for the schema; rows come from get_queryset

    def get_queryset(self):
        children = selectors.child_list(user=self.request.user)
        if audience_of(self.request.user) is not Audience.IDENTIFIED:
            children = children.order_by("ehcp_reference", "pk")  # name order would hint at the surname
        return children

    @extend_schema(request=s.ChildInputSerializer, responses={201: s.ChildSerializer})
    def post(self, request):
        data = valid(s.ChildInputSerializer, request.data)
        child = services.child_create(data=data, user=request.user)
        return created(self.get_serializer(self.get_queryset().get(pk=child.pk)))


class ChildDetailApi(ChildrenApi, GenericAPIView):
    """A child's record. Every read is recorded in the audit trail (who, when, what)."""

    serializer_class = s.ChildDetailSerializer
    read_permission_required = "placements.view_child"
    queryset = Child.objects.none()

    def get_object(self) -> Child:
        return found(selectors.child_get, user=self.request.user, pk=self.kwargs["pk"])

    def respond(self, child: Child) -> Response:
        record_access(user=self.request.user, instance=child, what=CHILD_ACCESS)
        return Response(self.get_serializer(child).data)

    def get(self, request, pk: int):
        return self.respond(self.get_object())

    @extend_schema(request=s.ChildInputSerializer, responses=s.ChildDetailSerializer)
    def patch(self, request, pk: int):
        child = get_object_or_404(Child.objects.visible_to(request.user), pk=pk)
        require(request, "placements.change_child")
        data = valid(s.ChildInputSerializer, request.data, partial=True)
        services.child_update(child=child, data=data, user=request.user)
        return self.respond(self.get_object())


# Provision -------------------------------------------------------------------------------------


def provision_queryset(user):
    return (
        Provision.objects.visible_to(user)
        .select_related("child", "therapy_type")
        .order_by("child_id", "start_date", "pk")
    )


class ProvisionListApi(ChildrenApi, ListAPIView):
    serializer_class = s.ProvisionSerializer
    filterset_class = ProvisionFilter
    read_permission_required = "placements.view_provision"
    permission_required = "placements.add_provision"
    ordering_fields = ["start_date", "review_date"]
    queryset = Provision.objects.none()

    def get_queryset(self):
        return provision_queryset(self.request.user)

    @extend_schema(request=s.ProvisionCreateInputSerializer, responses={201: s.ProvisionSerializer})
    def post(self, request):
        data = valid(s.ProvisionCreateInputSerializer, request.data)
        child = get_object_or_404(Child.objects.visible_to(request.user), pk=data.pop("child"))
        provision = services.provision_save(child=child, data=data, user=request.user)
        return created(self.get_serializer(self.get_queryset().get(pk=provision.pk)))


class ProvisionDetailApi(ChildrenApi, RetrieveAPIView):
    serializer_class = s.ProvisionSerializer
    read_permission_required = "placements.view_provision"
    queryset = Provision.objects.none()

    def get_queryset(self):
        return provision_queryset(self.request.user)

    @extend_schema(request=s.ProvisionInputSerializer, responses=s.ProvisionSerializer)
    def patch(self, request, pk: int):
        provision = self.get_object()
        require(request, "placements.change_provision")
        data = valid(s.ProvisionInputSerializer, request.data, partial=True)
        services.provision_save(child=provision.child, provision=provision, data=data, user=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


# The waiting list ------------------------------------------------------------------------------


class ReferralListApi(ChildrenApi, ListAPIView):
    serializer_class = s.ReferralSerializer
    filterset_class = ReferralFilter
    read_permission_required = "placements.view_referral"
    permission_required = "placements.add_referral"
    ordering_fields = ["referred_on", "created_at"]
    queryset = Referral.objects.none()

    def get_queryset(self):
        return selectors.referral_list(user=self.request.user)

    @extend_schema(request=s.ReferralCreateInputSerializer, responses={201: s.ReferralSerializer})
    def post(self, request):
        data = valid(s.ReferralCreateInputSerializer, request.data)
        provision = get_object_or_404(Provision.objects.visible_to(request.user), pk=data["provision"])
        referral = services.referral_create(provision=provision, referred_on=data["referred_on"], user=request.user)
        return created(self.get_serializer(self.get_queryset().get(pk=referral.pk)))


class ReferralDetailApi(ChildrenApi, GenericAPIView):
    serializer_class = s.ReferralDetailSerializer
    read_permission_required = "placements.view_referral"
    queryset = Referral.objects.none()

    def get(self, request, pk: int):
        return Response(self.get_serializer(found(selectors.referral_get, user=request.user, pk=pk)).data)


class ReferralStageApi(ChildrenApi, GenericAPIView):
    """Move a referral along the waiting list (placing or closing it stops the wait)."""

    serializer_class = s.ReferralStageInputSerializer
    queryset = Referral.objects.none()

    @extend_schema(request=s.ReferralStageInputSerializer, responses={200: s.ReferralDetailSerializer})
    def post(self, request, pk: int):
        referral = get_object_or_404(Referral.objects.visible_to(request.user), pk=pk)
        require(request, "placements.change_referral")
        data = valid(s.ReferralStageInputSerializer, request.data)
        services.referral_move(referral=referral, user=request.user, **data)
        referral = found(selectors.referral_get, user=request.user, pk=pk)
        return Response(s.ReferralDetailSerializer(referral, context=self.get_serializer_context()).data)


class ReferralCandidatesApi(ChildrenApi, ListAPIView):
    """Providers who could take the referral: admitted to the QPL on `on`, offering its therapy in the
    child's district, with declared capacity and the rate in force, most suitable first."""

    serializer_class = s.CandidateSerializer
    read_permission_required = "placements.view_referral"
    filter_backends = []
    queryset = Provider.objects.none()

    def get_queryset(self):
        referral = get_object_or_404(selectors.referral_list(user=self.request.user), pk=self.kwargs["pk"])
        on = valid(s.CandidatesQuerySerializer, self.request.query_params).get("on") or timezone.localdate()
        return qpl_candidates(
            therapy_type=referral.provision.therapy_type,
            district=referral.child.district,
            on=on,
            unit=referral.provision.unit,
        )

    @extend_schema(
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="Admitted and priced on (default today).")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# Placements ------------------------------------------------------------------------------------


class PlacementListApi(ChildrenApi, ListAPIView):
    serializer_class = s.PlacementSerializer
    filterset_class = PlacementFilter
    read_permission_required = "placements.view_placement"
    permission_required = "placements.add_placement"
    ordering_fields = ["start_date", "end_date", "review_due_on", "created_at"]
    queryset = Placement.objects.none()

    def get_queryset(self):
        return selectors.placement_list(user=self.request.user)

    @extend_schema(request=s.PlacementArrangeInputSerializer, responses={201: s.PlacementDetailSerializer})
    def post(self, request):
        """Arrange therapy for a provision line: QPL call-off, spot purchase, personal budget or NHS contract."""
        data = valid(s.PlacementArrangeInputSerializer, request.data, context=self.get_serializer_context())
        provision = get_object_or_404(Provision.objects.visible_to(request.user), pk=data.pop("provision"))
        placement = services.placement_arrange(provision=provision, user=request.user, **data)
        return created(placement_detail(self, placement.pk))


def placement_detail(view, pk: int) -> s.PlacementDetailSerializer:
    placement = found(selectors.placement_get, user=view.request.user, pk=pk)
    return s.PlacementDetailSerializer(placement, context=view.get_serializer_context())


class PlacementDetailApi(ChildrenApi, GenericAPIView):
    """A placement with `is_off_qpl`, its committed cost (in all and per financial year) and actual spend."""

    serializer_class = s.PlacementDetailSerializer
    read_permission_required = "placements.view_placement"
    queryset = Placement.objects.none()

    def get(self, request, pk: int):
        return Response(placement_detail(self, pk).data)


class PlacementActionApi(ChildrenApi, GenericAPIView):
    """Base for a placement's actions: scope (404), then capability (403), then input, then the service."""

    permission = "placements.change_placement_status"
    queryset = Placement.objects.none()

    def placement(self) -> Placement:
        placement = get_object_or_404(Placement.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        require(self.request, self.permission)
        return placement

    def respond(self, placement: Placement) -> Response:
        return Response(placement_detail(self, placement.pk).data)


class PlacementActivateApi(PlacementActionApi):
    serializer_class = s.PlacementActivateInputSerializer

    @extend_schema(request=s.PlacementActivateInputSerializer, responses={200: s.PlacementDetailSerializer})
    def post(self, request, pk: int):
        placement = self.placement()
        data = valid(s.PlacementActivateInputSerializer, request.data)
        return self.respond(services.placement_activate(placement=placement, user=request.user, **data))


class PlacementEndApi(PlacementActionApi):
    serializer_class = s.PlacementEndInputSerializer

    @extend_schema(request=s.PlacementEndInputSerializer, responses={200: s.PlacementDetailSerializer})
    def post(self, request, pk: int):
        placement = self.placement()
        data = valid(s.PlacementEndInputSerializer, request.data)
        return self.respond(services.placement_end(placement=placement, user=request.user, **data))


class PlacementCancelApi(PlacementActionApi):
    serializer_class = s.PlacementCancelInputSerializer

    @extend_schema(request=s.PlacementCancelInputSerializer, responses={200: s.PlacementDetailSerializer})
    def post(self, request, pk: int):
        placement = self.placement()
        data = valid(s.PlacementCancelInputSerializer, request.data)
        return self.respond(services.placement_cancel(placement=placement, user=request.user, **data))


class PlacementRateApi(PlacementActionApi):
    """A dated rate change: from `effective_from` the new rate applies, and the commitments follow."""

    serializer_class = s.PlacementRateInputSerializer
    permission = "placements.add_placementvariation"

    @extend_schema(request=s.PlacementRateInputSerializer, responses={200: s.PlacementDetailSerializer})
    def post(self, request, pk: int):
        placement = self.placement()
        data = valid(s.PlacementRateInputSerializer, request.data)
        services.placement_vary_rate(placement=placement, user=request.user, **data)
        return self.respond(placement)


# Personal budgets ------------------------------------------------------------------------------


class PersonalBudgetListApi(ChildrenApi, ListAPIView):
    serializer_class = s.PersonalBudgetSerializer
    filterset_class = PersonalBudgetFilter
    read_permission_required = "placements.view_personalbudget"
    ordering_fields = ["signed_on", "review_on"]
    queryset = PersonalBudget.objects.none()

    def get_queryset(self):
        return selectors.personal_budget_list(user=self.request.user)


class PersonalBudgetDetailApi(ChildrenApi, RetrieveAPIView):
    serializer_class = s.PersonalBudgetSerializer
    read_permission_required = "placements.view_personalbudget"
    queryset = PersonalBudget.objects.none()

    def get_queryset(self):
        return selectors.personal_budget_list(user=self.request.user)


# Invoices --------------------------------------------------------------------------------------


class InvoiceListApi(InvoicesApi, ListAPIView):
    serializer_class = s.InvoiceSerializer
    filterset_class = InvoiceFilter
    read_permission_required = "placements.view_invoice"
    permission_required = "placements.add_invoice"
    ordering_fields = ["submitted_at", "period_start", "period_end", "amount"]
    queryset = Invoice.objects.none()

    def get_queryset(self):
        return selectors.invoice_list(user=self.request.user)

    @extend_schema(request=s.InvoiceSubmitInputSerializer, responses={201: s.InvoiceSerializer})
    def post(self, request):
        """A provider's invoice for one of its placements (or an officer recording a payment to a family)."""
        data = valid(s.InvoiceSubmitInputSerializer, request.data)
        placement = get_object_or_404(Placement.objects.visible_to(request.user), pk=data.pop("placement"))
        invoice = services.invoice_submit(placement=placement, user=request.user, **data)
        return created(self.get_serializer(self.get_queryset().get(pk=invoice.pk)))


class InvoiceDetailApi(InvoicesApi, RetrieveAPIView):
    serializer_class = s.InvoiceSerializer
    read_permission_required = "placements.view_invoice"
    queryset = Invoice.objects.none()

    def get_queryset(self):
        return selectors.invoice_list(user=self.request.user)


class InvoiceActionApi(InvoicesApi, GenericAPIView):
    """Base for deciding an invoice: scope (404), then the capability to decide invoices (403)."""

    queryset = Invoice.objects.none()

    def invoice(self) -> Invoice:
        invoice = get_object_or_404(Invoice.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        require(self.request, "placements.decide_invoice")
        return invoice

    def respond(self, invoice: Invoice) -> Response:
        row = selectors.invoice_list(user=self.request.user).get(pk=invoice.pk)
        return Response(s.InvoiceSerializer(row, context=self.get_serializer_context()).data)


class InvoiceApproveApi(InvoiceActionApi):
    serializer_class = s.InvoiceApproveInputSerializer

    @extend_schema(request=s.InvoiceApproveInputSerializer, responses={200: s.InvoiceSerializer})
    def post(self, request, pk: int):
        invoice = self.invoice()
        data = valid(s.InvoiceApproveInputSerializer, request.data)
        return self.respond(services.invoice_approve(invoice=invoice, user=request.user, **data))


class InvoiceDisputeApi(InvoiceActionApi):
    """Dispute a submitted or approved invoice: opens a dispute with the provider (answered with it)."""

    serializer_class = s.InvoiceDisputeInputSerializer

    @extend_schema(request=s.InvoiceDisputeInputSerializer, responses={201: s.DisputeSerializer})
    def post(self, request, pk: int):
        invoice = self.invoice()
        data = valid(s.InvoiceDisputeInputSerializer, request.data)
        dispute = services.invoice_dispute(invoice=invoice, user=request.user, **data)
        row = selectors.dispute_list(user=request.user).get(pk=dispute.pk)
        return created(s.DisputeSerializer(row, context=self.get_serializer_context()))


class InvoiceMarkPaidApi(InvoiceActionApi):
    serializer_class = s.InvoiceMarkPaidInputSerializer

    @extend_schema(request=s.InvoiceMarkPaidInputSerializer, responses={200: s.InvoiceSerializer})
    def post(self, request, pk: int):
        invoice = self.invoice()
        data = valid(s.InvoiceMarkPaidInputSerializer, request.data)
        return self.respond(services.invoice_mark_paid(invoice=invoice, user=request.user, **data))


# Disputes --------------------------------------------------------------------------------------


class DisputeListApi(InvoicesApi, ListAPIView):
    serializer_class = s.DisputeSerializer
    filterset_class = DisputeFilter
    read_permission_required = "placements.view_dispute"
    permission_required = "placements.add_dispute"
    ordering_fields = ["raised_on", "resolved_on"]
    queryset = Dispute.objects.none()

    def get_queryset(self):
        return selectors.dispute_list(user=self.request.user)

    @extend_schema(request=s.DisputeRaiseInputSerializer, responses={201: s.DisputeSerializer})
    def post(self, request):
        data = valid(s.DisputeRaiseInputSerializer, request.data, context=self.get_serializer_context())
        placement = get_object_or_404(Placement.objects.visible_to(request.user), pk=data.pop("placement"))
        dispute = services.dispute_raise(placement=placement, user=request.user, **data)
        return created(self.get_serializer(self.get_queryset().get(pk=dispute.pk)))


class DisputeDetailApi(InvoicesApi, RetrieveAPIView):
    serializer_class = s.DisputeSerializer
    read_permission_required = "placements.view_dispute"
    queryset = Dispute.objects.none()

    def get_queryset(self):
        return selectors.dispute_list(user=self.request.user)


class DisputeResolveApi(InvoicesApi, GenericAPIView):
    serializer_class = s.DisputeResolveInputSerializer
    queryset = Dispute.objects.none()

    @extend_schema(request=s.DisputeResolveInputSerializer, responses={200: s.DisputeSerializer})
    def post(self, request, pk: int):
        dispute = get_object_or_404(Dispute.objects.visible_to(request.user), pk=pk)
        require(request, "placements.resolve_dispute")
        data = valid(s.DisputeResolveInputSerializer, request.data)
        services.dispute_resolve(dispute=dispute, user=request.user, **data)
        row = selectors.dispute_list(user=request.user).get(pk=pk)
        return Response(s.DisputeSerializer(row, context=self.get_serializer_context()).data)


# Reviews ---------------------------------------------------------------------------------------


class ReviewListApi(ChildrenApi, ListAPIView):
    serializer_class = s.ReviewSerializer
    filterset_class = ReviewFilter
    read_permission_required = "placements.view_review"
    permission_required = "placements.add_review"
    ordering_fields = ["held_on", "recorded_at"]
    queryset = Review.objects.none()

    def get_queryset(self):
        return selectors.review_list(user=self.request.user)

    @extend_schema(request=s.ReviewRecordInputSerializer, responses={201: s.ReviewSerializer})
    def post(self, request):
        """Record a review: continue or change sets the next one; stop ends the placement on `end_date`."""
        data = valid(s.ReviewRecordInputSerializer, request.data)
        placement = get_object_or_404(Placement.objects.visible_to(request.user), pk=data.pop("placement"))
        review = services.review_record(placement=placement, user=request.user, **data)
        return created(self.get_serializer(self.get_queryset().get(pk=review.pk)))


class ReviewDetailApi(ChildrenApi, RetrieveAPIView):
    serializer_class = s.ReviewSerializer
    read_permission_required = "placements.view_review"
    queryset = Review.objects.none()

    def get_queryset(self):
        return selectors.review_list(user=self.request.user)


class ReviewsDueApi(ChildrenApi, ListAPIView):
    """Active placements whose review falls due within `within_days` (or is overdue), soonest first."""

    serializer_class = s.PlacementSerializer
    read_permission_required = "placements.view_review"
    filter_backends = []
    queryset = Placement.objects.none()

    def get_queryset(self):
        within_days = valid(s.ReviewsDueQuerySerializer, self.request.query_params)["within_days"]
        return selectors.reviews_due(user=self.request.user, within_days=within_days)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "within_days",
                {"type": "integer", "minimum": 0, "maximum": 366},
                description="Due within this many days from today (default 30); overdue ones are included.",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# Provision assurance ---------------------------------------------------------------------------

PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: the financial year's first)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, inclusive (default: today)."),
]


class ProvisionAssuranceApi(ChildrenApi, ListAPIView):
    """For every plan line in force in the period: specified, commissioned, delivered and the shortfall."""

    serializer_class = s.ProvisionAssuranceSerializer
    read_permission_required = "placements.view_provision_assurance"
    filter_backends = []
    query_serializer = s.AssurancePeriodQuerySerializer
    queryset = Provision.objects.none()

    def period(self) -> dict:
        return valid(self.query_serializer, self.request.query_params, today=timezone.localdate())

    def get_queryset(self):
        period = self.period()
        lines = selectors.provision_assurance(user=self.request.user, start=period["start"], end=period["end"])
        if audience_of(self.request.user) is not Audience.IDENTIFIED:
            lines = lines.order_by("child_id", "start_date", "pk")  # name order would hint at the surname
        return lines

    @extend_schema(parameters=PERIOD_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AssuranceByChildApi(ProvisionAssuranceApi):
    """Per child: the lines summed over the period, most short first; `threshold` keeps only children short
    by more than that percentage of what their plans specify."""

    serializer_class = s.AssuranceByChildSerializer
    query_serializer = s.AssuranceByChildQuerySerializer

    def get_queryset(self):
        period = self.period()
        return selectors.assurance_by_child(
            user=self.request.user,
            start=period["start"],
            end=period["end"],
            threshold_percent=period.get("threshold"),
        )

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter(
                "threshold",
                {"type": "number", "minimum": 0, "maximum": 100},
                description="Only children short by more than this percentage of what was specified.",
            ),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# NMISS: special-school places through the DPS ---------------------------------------------------
# Every endpoint here needs the token scope `dps`. A school (a provider user) reaches only the requests it
# was invited to and its own invitations, offers, placements, uplifts and block contracts (`visible_to`);
# what it is shown of a request and its child is decided by the serializers.


class DpsApi:
    token_scope = "dps"


def placement_request_detail(view, pk: int) -> s.PlacementRequestDetailSerializer:
    """The request with the invitations this person may see (a school: its own only) and any agreement."""
    user = view.request.user
    invitations = (
        Invitation.objects.visible_to(user).select_related("school", "offer").order_by("school__legal_name", "pk")
    )
    rows = (
        selectors.placement_request_rows(user=user)
        .select_related("school_placement")
        .prefetch_related(Prefetch("invitations", queryset=invitations))
    )
    return s.PlacementRequestDetailSerializer(get_object_or_404(rows, pk=pk), context=view.get_serializer_context())


def invitation_rows(user):
    """Invitations this person may see (a school: its own), with the request, the school and any offer."""
    return (
        Invitation.objects.visible_to(user).select_related("request", "school", "offer").order_by("-invited_at", "-pk")
    )


def offer_rows(user):
    """Offers this person may see (a school: its own, never another school's), with what the answer shows."""
    return (
        Offer.objects.visible_to(user)
        .select_related("request", "invitation__school", "school_placement")
        .order_by("-submitted_at", "-pk")
    )


class PlacementRequestListApi(DpsApi, ListAPIView):
    """Requests for a special-school place: council staff see every one (commissioners without the child's
    name); a school only those it was invited to, as a pseudonymised profile with its own answer."""

    serializer_class = s.PlacementRequestSerializer
    filterset_class = PlacementRequestFilter
    read_permission_required = "placements.view_placementrequest"
    permission_required = "placements.add_placementrequest"
    ordering_fields = ["created_at", "deadline", "required_start"]
    queryset = PlacementRequest.objects.none()

    def get_queryset(self):
        return selectors.placement_request_rows(user=self.request.user)

    @extend_schema(request=s.PlacementRequestCreateInputSerializer, responses={201: s.PlacementRequestDetailSerializer})
    def post(self, request):
        """Raise a request for a child's school place: a draft until schools are invited."""
        data = valid(s.PlacementRequestCreateInputSerializer, request.data)
        child = get_object_or_404(Child.objects.visible_to(request.user), pk=data.pop("child"))
        placement_request = services.placement_request_create(child=child, user=request.user, **data)
        return created(placement_request_detail(self, placement_request.pk))


class PlacementRequestDetailApi(DpsApi, GenericAPIView):
    """A request with its invitations (a school sees its own only) and, once awarded, the agreement."""

    serializer_class = s.PlacementRequestDetailSerializer
    read_permission_required = "placements.view_placementrequest"
    queryset = PlacementRequest.objects.none()

    def get(self, request, pk: int):
        return Response(placement_request_detail(self, pk).data)


class PlacementRequestActionApi(DpsApi, GenericAPIView):
    """Base for a request's evaluation and actions: scope (404), then capability (403)."""

    permission = "placements.change_placementrequest"
    queryset = PlacementRequest.objects.none()

    def require_capability(self) -> None:
        require(self.request, self.permission)

    @cached_property
    def placement_request(self) -> PlacementRequest:
        placement_request = get_object_or_404(
            PlacementRequest.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )
        self.require_capability()
        return placement_request


class EligibleSchoolsApi(PlacementRequestActionApi, ListAPIView):
    """Schools admitted to the request's lot on `on` (default today) that offer its setting and take the
    child's age and primary need, each with its indicative fee and whether it is already invited."""

    serializer_class = s.EligibleSchoolSerializer
    read_permission_required = "placements.view_placementrequest"
    filter_backends = []
    queryset = Provider.objects.none()

    def get_queryset(self):
        placement_request = self.placement_request
        on = valid(s.CandidatesQuerySerializer, self.request.query_params).get("on")
        invited = Invitation.objects.visible_to(self.request.user).filter(request=placement_request)
        self.invited = set(invited.values_list("school_id", flat=True))
        return selectors.eligible_schools(request=placement_request, on=on)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "invited": getattr(self, "invited", set())}

    @extend_schema(
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="Admitted to the lot on (default today).")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PlacementRequestRankingApi(PlacementRequestActionApi, ListAPIView):
    """Every offer for the request, ranked: price score (lowest annual fee / this fee x 100), quality and price
    points by the published weights, the total, the rank (equal totals share one) and the sum that explains it.
    Council staff only: a school sees its own offer, never the others' nor how they compare."""

    serializer_class = s.RankedOfferSerializer
    read_permission_required = "placements.view_offer"
    filter_backends = []
    queryset = Offer.objects.none()

    def require_capability(self) -> None:
        # The ranking sets every school's offer side by side; a school's scope is its own offer only.
        if getattr(self.request.user, "provider_id", None):
            raise PermissionDenied

    def get_queryset(self):
        return selectors.offers_ranked(request=self.placement_request)


class PlacementRequestInviteApi(PlacementRequestActionApi):
    serializer_class = s.PlacementRequestInviteInputSerializer

    @extend_schema(request=s.PlacementRequestInviteInputSerializer, responses={200: s.PlacementRequestDetailSerializer})
    def post(self, request, pk: int):
        """Invite eligible schools. The first invitations open the request and publish its weights; each
        school invited is told."""
        placement_request = self.placement_request
        data = valid(s.PlacementRequestInviteInputSerializer, request.data, context=self.get_serializer_context())
        services.placement_request_invite(request=placement_request, schools=data["schools"], user=request.user)
        return Response(placement_request_detail(self, pk).data)


class PlacementRequestAwardApi(PlacementRequestActionApi):
    serializer_class = s.PlacementRequestAwardInputSerializer
    permission = "placements.award_placementrequest"

    @extend_schema(request=s.PlacementRequestAwardInputSerializer, responses={201: s.SchoolPlacementDetailSerializer})
    def post(self, request, pk: int):
        """Award the place to one offer, after the deadline and once every offer is scored (once only; a reason
        is needed for an offer not ranked first). Answers with the new placement agreement."""
        placement_request = self.placement_request
        data = valid(s.PlacementRequestAwardInputSerializer, request.data, context=self.get_serializer_context())
        placement = services.placement_request_award(request=placement_request, user=request.user, **data)
        return created(school_placement_detail(self, placement.pk))


class PlacementRequestCancelApi(PlacementRequestActionApi):
    serializer_class = s.PlacementRequestCancelInputSerializer

    @extend_schema(request=s.PlacementRequestCancelInputSerializer, responses={200: s.PlacementRequestDetailSerializer})
    def post(self, request, pk: int):
        """Withdraw a request that has not been awarded; the schools invited are told."""
        placement_request = self.placement_request
        data = valid(s.PlacementRequestCancelInputSerializer, request.data)
        services.placement_request_cancel(request=placement_request, user=request.user, **data)
        return Response(placement_request_detail(self, pk).data)


# Invitations and offers ------------------------------------------------------------------------


class InvitationListApi(DpsApi, ListAPIView):
    """Invitations to offer a place: a school sees its own; council staff see every one."""

    serializer_class = s.InvitationSerializer
    filterset_class = InvitationFilter
    read_permission_required = "placements.view_invitation"
    ordering_fields = ["invited_at", "responded_at"]
    queryset = Invitation.objects.none()

    def get_queryset(self):
        return invitation_rows(self.request.user)


class InvitationDetailApi(DpsApi, RetrieveAPIView):
    serializer_class = s.InvitationSerializer
    read_permission_required = "placements.view_invitation"
    queryset = Invitation.objects.none()

    def get_queryset(self):
        return invitation_rows(self.request.user)


class InvitationDeclineApi(DpsApi, GenericAPIView):
    serializer_class = s.InvitationDeclineInputSerializer
    queryset = Invitation.objects.none()

    @extend_schema(request=s.InvitationDeclineInputSerializer, responses={200: s.InvitationSerializer})
    def post(self, request, pk: int):
        """The school cannot offer a place, and says why (before the deadline)."""
        invitation = get_object_or_404(Invitation.objects.visible_to(request.user), pk=pk)
        require(request, "placements.change_invitation")
        data = valid(s.InvitationDeclineInputSerializer, request.data)
        services.invitation_decline(invitation=invitation, user=request.user, **data)
        row = invitation_rows(request.user).get(pk=pk)
        return Response(s.InvitationSerializer(row, context=self.get_serializer_context()).data)


class OfferListApi(DpsApi, ListAPIView):
    """Offers of a place: a school sees its own only (without the quality score); council staff see every one."""

    serializer_class = s.OfferSerializer
    filterset_class = OfferFilter
    read_permission_required = "placements.view_offer"
    permission_required = "placements.add_offer"
    ordering_fields = ["submitted_at", "start_date"]
    queryset = Offer.objects.none()

    def get_queryset(self):
        return offer_rows(self.request.user)

    @extend_schema(request=s.OfferSubmitInputSerializer, responses={201: s.OfferSerializer})
    def post(self, request):
        """A school's offer for its own invitation, before the deadline, once: the annual fee by element."""
        data = valid(s.OfferSubmitInputSerializer, request.data)
        invitation = get_object_or_404(Invitation.objects.visible_to(request.user), pk=data.pop("invitation"))
        offer = services.offer_submit(invitation=invitation, user=request.user, **data)
        return created(self.get_serializer(self.get_queryset().get(pk=offer.pk)))


class OfferDetailApi(DpsApi, RetrieveAPIView):
    serializer_class = s.OfferSerializer
    read_permission_required = "placements.view_offer"
    queryset = Offer.objects.none()

    def get_queryset(self):
        return offer_rows(self.request.user)


class OfferScoreApi(DpsApi, GenericAPIView):
    serializer_class = s.OfferScoreInputSerializer
    queryset = Offer.objects.none()

    @extend_schema(request=s.OfferScoreInputSerializer, responses={200: s.OfferSerializer})
    def post(self, request, pk: int):
        """Score an offer's quality (0 to 100) with the reason, once offers have closed; a new score replaces
        the old one and both are recorded."""
        offer = get_object_or_404(Offer.objects.visible_to(request.user), pk=pk)
        require(request, "placements.award_placementrequest")
        data = valid(s.OfferScoreInputSerializer, request.data)
        services.offer_score(offer=offer, user=request.user, **data)
        row = offer_rows(request.user).get(pk=pk)
        return Response(s.OfferSerializer(row, context=self.get_serializer_context()).data)


# School placements, uplifts and block contracts -------------------------------------------------


def school_placement_detail(view, pk: int) -> s.SchoolPlacementDetailSerializer:
    """The agreement with the fee in force today, its commitments and each uplift with the fee from its date."""
    page = found(selectors.school_placement_page, user=view.request.user, pk=pk)
    placement = page["placement"]
    placement.fee_today = page["fee_today"]
    for uplift, annual_fee in page["uplifts"]:
        uplift.annual_fee_from = annual_fee
    placement.uplift_rows = [uplift for uplift, _ in page["uplifts"]]
    return s.SchoolPlacementDetailSerializer(placement, context=view.get_serializer_context())


class SchoolPlacementListApi(DpsApi, ListAPIView):
    """Individual placement agreements: council staff see every one; a school its own."""

    serializer_class = s.SchoolPlacementSerializer
    filterset_class = SchoolPlacementFilter
    read_permission_required = "placements.view_schoolplacement"
    permission_required = "placements.add_schoolplacement"
    ordering_fields = ["start_date", "end_date", "created_at"]
    queryset = SchoolPlacement.objects.none()

    def get_queryset(self):
        return selectors.school_placement_list(user=self.request.user)

    @extend_schema(request=s.SchoolPlacementCreateInputSerializer, responses={201: s.SchoolPlacementDetailSerializer})
    def post(self, request):
        """Record an agreement made outside a request (for example a place in a block contract)."""
        data = valid(s.SchoolPlacementCreateInputSerializer, request.data, context=self.get_serializer_context())
        child = get_object_or_404(Child.objects.visible_to(request.user), pk=data.pop("child"))
        placement = services.school_placement_create(child=child, user=request.user, **data)
        return created(school_placement_detail(self, placement.pk))


class SchoolPlacementDetailApi(DpsApi, GenericAPIView):
    """An agreement with the fee in force today, its committed cost per financial year and its uplifts."""

    serializer_class = s.SchoolPlacementDetailSerializer
    read_permission_required = "placements.view_schoolplacement"
    queryset = SchoolPlacement.objects.none()

    def get(self, request, pk: int):
        return Response(school_placement_detail(self, pk).data)


class SchoolPlacementEndApi(DpsApi, GenericAPIView):
    serializer_class = s.SchoolPlacementEndInputSerializer
    queryset = SchoolPlacement.objects.none()

    @extend_schema(request=s.SchoolPlacementEndInputSerializer, responses={200: s.SchoolPlacementDetailSerializer})
    def post(self, request, pk: int):
        """End an active agreement on a day within its term; the commitments follow."""
        placement = get_object_or_404(SchoolPlacement.objects.visible_to(request.user), pk=pk)
        require(request, "placements.change_schoolplacement")
        data = valid(s.SchoolPlacementEndInputSerializer, request.data)
        services.school_placement_end(placement=placement, user=request.user, **data)
        return Response(school_placement_detail(self, pk).data)


class FeeUpliftListApi(DpsApi, ListAPIView):
    """Dated uplifts to school placements' fees: council staff see every one; a school those to its own."""

    serializer_class = s.FeeUpliftSerializer
    filterset_class = FeeUpliftFilter
    read_permission_required = "placements.view_feeuplift"
    permission_required = "placements.add_feeuplift"
    ordering_fields = ["effective_from", "created_at"]
    queryset = FeeUplift.objects.none()

    def get_queryset(self):
        return selectors.fee_uplift_list(user=self.request.user)

    @extend_schema(request=s.FeeUpliftCreateInputSerializer, responses={201: s.FeeUpliftSerializer})
    def post(self, request):
        """An uplift to every element of a placement's fee from a day within its term; the commitments follow."""
        data = valid(s.FeeUpliftCreateInputSerializer, request.data)
        placement = get_object_or_404(SchoolPlacement.objects.visible_to(request.user), pk=data.pop("placement"))
        uplift = services.school_placement_uplift(placement=placement, user=request.user, **data)
        return created(self.get_serializer(self.get_queryset().get(pk=uplift.pk)))


class FeeUpliftDetailApi(DpsApi, RetrieveAPIView):
    serializer_class = s.FeeUpliftSerializer
    read_permission_required = "placements.view_feeuplift"
    queryset = FeeUplift.objects.none()

    def get_queryset(self):
        return selectors.fee_uplift_list(user=self.request.user)


class BlockContractListApi(DpsApi, ListAPIView):
    """Blocks of places bought at one school, with the places in use today: a school sees its own."""

    serializer_class = s.BlockContractSerializer
    filterset_class = BlockContractFilter
    read_permission_required = "placements.view_blockcontract"
    permission_required = "placements.add_blockcontract"
    ordering_fields = ["reference", "start_date", "end_date"]
    queryset = BlockContract.objects.none()

    def get_queryset(self):
        return selectors.block_contract_list(user=self.request.user)

    @extend_schema(request=s.BlockContractCreateInputSerializer, responses={201: s.BlockContractSerializer})
    def post(self, request):
        """A block of places at one special school for an annual fee."""
        data = valid(s.BlockContractCreateInputSerializer, request.data, context=self.get_serializer_context())
        block = services.block_contract_create(user=request.user, **data)
        return created(self.get_serializer(self.get_queryset().get(pk=block.pk)))


class BlockContractDetailApi(DpsApi, RetrieveAPIView):
    serializer_class = s.BlockContractSerializer
    read_permission_required = "placements.view_blockcontract"
    queryset = BlockContract.objects.none()

    def get_queryset(self):
        return selectors.block_contract_list(user=self.request.user)
