"""The contracts API: the register, routes, money, posts and the standard performance returns."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from contracts import services
from contracts.filters import (
    ContractFilter,
    ContractYearFilter,
    FundingFilter,
    PostFilter,
    ReturnFilter,
    RouteFilter,
    VariationFilter,
)
from contracts.models import Contract, ContractYear, FundedPost, FundingContribution, Variation
from contracts.selectors import contract_list, return_list, route_list

from . import serializers as s


class ContractsApi:
    token_scope = "contracts"


def writable_contract(request, pk: int) -> Contract:
    """Scope first (404), then the capability to change contracts (403)."""
    contract = get_object_or_404(Contract.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("contracts.change_contract"):
        raise PermissionDenied
    return contract


class ContractListApi(ContractsApi, ListAPIView):
    serializer_class = s.ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["reference", "start_date", "end_date"]

    def get_queryset(self):
        return contract_list(user=self.request.user)

    @extend_schema(request=s.ContractInputSerializer, responses={201: s.ContractSerializer})
    def post(self, request):
        if not request.user.has_perm("contracts.add_contract"):
            raise PermissionDenied
        data = s.ContractInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k not in ("therapy_types", "districts")}
        contract = services.contract_save(
            data=fields,
            therapy_types=data.validated_data.get("therapy_types"),
            districts=data.validated_data.get("districts"),
            user=request.user,
        )
        return Response(
            s.ContractSerializer(self.get_queryset().get(pk=contract.pk)).data, status=status.HTTP_201_CREATED
        )


class ContractDetailApi(ContractsApi, RetrieveAPIView):
    serializer_class = s.ContractSerializer

    def get_queryset(self):
        return contract_list(user=self.request.user)

    @extend_schema(request=s.ContractInputSerializer, responses=s.ContractSerializer)
    def patch(self, request, pk: int):
        contract = writable_contract(request, pk)
        data = s.ContractInputSerializer(contract, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k not in ("therapy_types", "districts")}
        services.contract_save(
            data=fields,
            contract=contract,
            therapy_types=data.validated_data.get("therapy_types"),
            districts=data.validated_data.get("districts"),
            user=request.user,
        )
        return Response(s.ContractSerializer(self.get_queryset().get(pk=pk)).data)


class RouteListApi(ContractsApi, ListAPIView):
    serializer_class = s.ProcurementRouteSerializer
    filterset_class = RouteFilter

    def get_queryset(self):
        return route_list()


class RouteDetailApi(ContractsApi, RetrieveAPIView):
    serializer_class = s.ProcurementRouteSerializer

    def get_queryset(self):
        return route_list()

    @extend_schema(request=s.ProcurementRouteSerializer, responses=s.ProcurementRouteSerializer)
    def patch(self, request, pk: int):
        route = self.get_object()
        if not request.user.has_perm("contracts.change_procurementroute"):
            raise PermissionDenied
        data = s.ProcurementRouteSerializer(route, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(s.ProcurementRouteSerializer(services.route_update(route=route, data=data.validated_data)).data)


class ChildListApi(ContractsApi, ListAPIView):
    """Lists of a contract's parts; POST adds one through the matching service."""

    model = None
    service = None
    input_fields: tuple = ()

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).select_related("contract").order_by("pk")

    def post(self, request):
        data = self.serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        contract = writable_contract(request, data.validated_data["contract"].pk)
        values = {k: v for k, v in data.validated_data.items() if k != "contract"}
        extra = {"user": request.user} if self.model is Variation else {}
        row = type(self).service(contract=contract, **values, **extra)
        return Response(self.serializer_class(row).data, status=status.HTTP_201_CREATED)


def _child_views(model, serializer, filterset, service, name):
    list_view = type(
        f"{name}ListApi",
        (ChildListApi,),
        {
            "model": model,
            "serializer_class": serializer,
            "filterset_class": filterset,
            "service": service,
            "post": extend_schema(request=serializer, responses={201: serializer})(ChildListApi.post),
        },
    )
    detail_view = type(
        f"{name}DetailApi",
        (ContractsApi, RetrieveAPIView),
        {
            "serializer_class": serializer,
            "get_queryset": lambda self: model.objects.visible_to(self.request.user).select_related("contract"),
        },
    )
    return list_view, detail_view


ContractYearListApi, ContractYearDetailApi = _child_views(
    ContractYear, s.ContractYearSerializer, ContractYearFilter, services.contract_year_set, "ContractYear"
)
VariationListApi, VariationDetailApi = _child_views(
    Variation, s.VariationSerializer, VariationFilter, services.variation_apply, "Variation"
)
FundingListApi, FundingDetailApi = _child_views(
    FundingContribution, s.FundingContributionSerializer, FundingFilter, services.funding_add, "Funding"
)
PostListApi, PostDetailApi = _child_views(FundedPost, s.FundedPostSerializer, PostFilter, services.post_add, "Post")


class ReturnsApi:
    token_scope = "performance-returns"


class ReturnListApi(ReturnsApi, ListAPIView):
    serializer_class = s.PerformanceReturnSerializer
    filterset_class = ReturnFilter
    read_permission_required = "contracts.view_performancereturn"

    def get_queryset(self):
        return return_list(user=self.request.user).order_by("month", "pk")


class ReturnDetailApi(ReturnsApi, RetrieveAPIView):
    serializer_class = s.PerformanceReturnSerializer
    read_permission_required = "contracts.view_performancereturn"

    def get_queryset(self):
        return return_list(user=self.request.user)


class ReturnImportApi(ReturnsApi, GenericAPIView):
    """Bulk import of a standard CSV: all rows or none; errors name each row and column."""

    serializer_class = s.ReturnImportInputSerializer
    parser_classes = [MultiPartParser, FormParser]
    permission_required = "contracts.add_performancereturn"

    @extend_schema(
        request={"multipart/form-data": s.ReturnImportInputSerializer}, responses={201: s.ReturnImportResultSerializer}
    )
    def post(self, request):
        data = s.ReturnImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        batch = services.returns_import(
            content=upload.read(),
            filename=upload.name,
            user=request.user,
            replace=data.validated_data["replace"],
            contracts=Contract.objects.visible_to(request.user),
        )
        return Response({"rows": batch.rows, "replaced": batch.replaced}, status=status.HTTP_201_CREATED)
