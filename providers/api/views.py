"""The providers API: reads over selectors with the pages' filters; writes through the same services."""

from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from providers import services
from providers.filters import (
    CapacityDeclarationFilter,
    ComplianceDocumentFilter,
    MembershipFilter,
    PricingScheduleFilter,
    ProviderFilter,
    ProviderListFilter,
    QuestionnaireFilter,
)
from providers.models import (
    CapacityDeclaration,
    ComplianceDocument,
    Lot,
    Membership,
    Practitioner,
    PricingSchedule,
    Provider,
    ProviderList,
    SelectionQuestionnaire,
)

from . import serializers as s


class ProvidersApi:
    token_scope = "providers"


def own_provider_or_officer(request, provider: Provider, officer_perm: str) -> None:
    """Writes: a provider user acts for their own provider; council staff need the capability."""
    if request.user.provider_id == provider.pk and request.user.has_perm("providers.use_provider_portal"):
        return
    if not request.user.has_perm(officer_perm):
        raise PermissionDenied


def provider_queryset(user):
    return (
        Provider.objects.visible_to(user)
        .prefetch_related("therapy_types", "districts", "needs_catered_for")
        .order_by("legal_name", "pk")
    )


class ProviderListApi(ProvidersApi, ListAPIView):
    serializer_class = s.ProviderSerializer
    filterset_class = ProviderFilter
    ordering_fields = ["legal_name", "created_at"]

    def get_queryset(self):
        return provider_queryset(self.request.user)


class ProviderDetailApi(ProvidersApi, RetrieveAPIView):
    serializer_class = s.ProviderSerializer

    def get_queryset(self):
        return provider_queryset(self.request.user)

    @extend_schema(request=s.ProviderUpdateInputSerializer, responses=s.ProviderSerializer)
    def patch(self, request, pk: int):
        provider = self.get_object()
        own_provider_or_officer(request, provider, "providers.change_provider")
        data = s.ProviderUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        provider = services.provider_update(provider=provider, data=dict(data.validated_data))
        return Response(s.ProviderSerializer(provider_queryset(request.user).get(pk=provider.pk)).data)


def provider_list_queryset():
    return ProviderList.objects.prefetch_related(
        Prefetch("lots", queryset=Lot.objects.select_related("therapy_type", "primary_need"))
    )


class ProviderListListApi(ProvidersApi, ListAPIView):
    serializer_class = s.ProviderListSerializer
    filterset_class = ProviderListFilter

    def get_queryset(self):
        return provider_list_queryset()


class ProviderListDetailApi(ProvidersApi, RetrieveAPIView):
    serializer_class = s.ProviderListSerializer

    def get_queryset(self):
        return provider_list_queryset()


class MembershipListApi(ProvidersApi, ListAPIView):
    serializer_class = s.MembershipSerializer
    filterset_class = MembershipFilter

    def get_queryset(self):
        return Membership.objects.visible_to(self.request.user).prefetch_related("lots").order_by("pk")


class MembershipDetailApi(ProvidersApi, RetrieveAPIView):
    serializer_class = s.MembershipSerializer

    def get_queryset(self):
        return Membership.objects.visible_to(self.request.user).prefetch_related("lots")


def questionnaire_queryset(user):
    return SelectionQuestionnaire.objects.visible_to(user).prefetch_related("lots").order_by("pk")


class QuestionnaireListApi(ProvidersApi, ListAPIView):
    serializer_class = s.QuestionnaireSerializer
    filterset_class = QuestionnaireFilter

    def get_queryset(self):
        return questionnaire_queryset(self.request.user)

    @extend_schema(request=s.QuestionnaireCreateInputSerializer, responses={201: s.QuestionnaireSerializer})
    def post(self, request):
        """A provider starts (or continues) its application to a list."""
        if not request.user.provider_id or not request.user.has_perm("providers.use_provider_portal"):
            raise PermissionDenied
        data = s.QuestionnaireCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sq = services.questionnaire_start(
            provider=request.user.provider, provider_list=data.validated_data["provider_list"], user=request.user
        )
        return Response(
            s.QuestionnaireSerializer(questionnaire_queryset(request.user).get(pk=sq.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class QuestionnaireDetailApi(ProvidersApi, RetrieveAPIView):
    serializer_class = s.QuestionnaireSerializer

    def get_queryset(self):
        return questionnaire_queryset(self.request.user)


class QuestionnaireActionApi(ProvidersApi, GenericAPIView):
    """Base for the questionnaire's actions: scope (404) first, then capability (403), then the service."""

    serializer_class = s.QuestionnaireSerializer

    def get_queryset(self):
        return questionnaire_queryset(self.request.user)

    def respond(self, sq):
        return Response(s.QuestionnaireSerializer(questionnaire_queryset(self.request.user).get(pk=sq.pk)).data)

    def require_officer(self):
        if not self.request.user.has_perm("providers.review_selectionquestionnaire"):
            raise PermissionDenied


class QuestionnaireSubmitApi(QuestionnaireActionApi):
    @extend_schema(request=s.QuestionnaireSubmitInputSerializer, responses=s.QuestionnaireSerializer)
    def post(self, request, pk: int):
        sq = self.get_object()
        if request.user.provider_id != sq.provider_id:
            raise PermissionDenied
        data = s.QuestionnaireSubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.respond(
            services.questionnaire_submit(sq=sq, user=request.user, declarations=data.validated_data["declarations"])
        )


class QuestionnaireApproveApi(QuestionnaireActionApi):
    @extend_schema(request=s.QuestionnaireApproveInputSerializer, responses=s.QuestionnaireSerializer)
    def post(self, request, pk: int):
        sq = self.get_object()
        self.require_officer()
        data = s.QuestionnaireApproveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lots = data.validated_data.get("lots") or None
        return self.respond(
            services.questionnaire_approve(sq=sq, officer=request.user, lots=lots, reason=data.validated_data["reason"])
        )


class QuestionnaireRejectApi(QuestionnaireActionApi):
    @extend_schema(request=s.ReasonInputSerializer, responses=s.QuestionnaireSerializer)
    def post(self, request, pk: int):
        sq = self.get_object()
        self.require_officer()
        data = s.ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.respond(
            services.questionnaire_reject(sq=sq, officer=request.user, reason=data.validated_data["reason"])
        )


class QuestionnaireClarifyApi(QuestionnaireActionApi):
    @extend_schema(request=s.ReasonInputSerializer, responses=s.QuestionnaireSerializer)
    def post(self, request, pk: int):
        sq = self.get_object()
        self.require_officer()
        data = s.ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.respond(
            services.questionnaire_request_clarification(
                sq=sq, officer=request.user, message=data.validated_data["reason"]
            )
        )


def pricing_queryset(user):
    return (
        PricingSchedule.objects.visible_to(user)
        .prefetch_related("lines__therapy_type")
        .order_by("provider_id", "-effective_from")
    )


class PricingScheduleListApi(ProvidersApi, ListAPIView):
    serializer_class = s.PricingScheduleSerializer
    filterset_class = PricingScheduleFilter

    def get_queryset(self):
        return pricing_queryset(self.request.user)

    @extend_schema(request=s.PricingScheduleCreateInputSerializer, responses={201: s.PricingScheduleSerializer})
    def post(self, request):
        """A new version of a provider's prices (its own for a provider user)."""
        data = s.PricingScheduleCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        provider = data.validated_data.get("provider") or request.user.provider
        if provider is None:
            raise PermissionDenied
        provider = get_object_or_404(Provider.objects.visible_to(request.user), pk=provider.pk)
        own_provider_or_officer(request, provider, "providers.change_provider")
        rates = {(line["therapy_type"].pk, line["unit"]): line["rate"] for line in data.validated_data["lines"]}
        schedule = services.pricing_submit(
            provider=provider,
            user=request.user,
            effective_from=data.validated_data["effective_from"],
            rates=rates,
            note=data.validated_data["note"],
        )
        return Response(
            s.PricingScheduleSerializer(pricing_queryset(request.user).get(pk=schedule.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class PricingScheduleDetailApi(ProvidersApi, RetrieveAPIView):
    serializer_class = s.PricingScheduleSerializer

    def get_queryset(self):
        return pricing_queryset(self.request.user)


def document_queryset(user):
    return ComplianceDocument.objects.visible_to(user).order_by("pk")


class ComplianceDocumentListApi(ProvidersApi, ListAPIView):
    serializer_class = s.ComplianceDocumentSerializer
    filterset_class = ComplianceDocumentFilter
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return document_queryset(self.request.user)

    @extend_schema(
        request={"multipart/form-data": s.ComplianceDocumentUploadInputSerializer},
        responses={201: s.ComplianceDocumentSerializer},
    )
    def post(self, request):
        """A provider uploads evidence (PDF, PNG or JPEG, checked by content)."""
        if not request.user.provider_id or not request.user.has_perm("providers.use_provider_portal"):
            raise PermissionDenied
        data = s.ComplianceDocumentUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        practitioner = None
        if data.validated_data["practitioner"]:
            practitioner = Practitioner.objects.filter(
                pk=data.validated_data["practitioner"], provider=request.user.provider
            ).first()
            if practitioner is None:
                from django.core.exceptions import ValidationError

                raise ValidationError({"practitioner": "Choose one of your own practitioners."})
        document = services.document_upload(
            provider=request.user.provider,
            user=request.user,
            upload=data.validated_data["file"],
            kind=data.validated_data["kind"],
            number=data.validated_data["number"],
            expires_on=data.validated_data["expires_on"],
            practitioner=practitioner,
        )
        return Response(s.ComplianceDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class ComplianceDocumentDetailApi(ProvidersApi, RetrieveAPIView):
    serializer_class = s.ComplianceDocumentSerializer

    def get_queryset(self):
        return document_queryset(self.request.user)


class ComplianceDocumentVerifyApi(ProvidersApi, GenericAPIView):
    serializer_class = s.ComplianceDocumentSerializer
    permission_required = "providers.verify_compliancedocument"

    def get_queryset(self):
        return document_queryset(self.request.user)

    @extend_schema(request=None, responses=s.ComplianceDocumentSerializer)
    def post(self, request, pk: int):
        return Response(
            s.ComplianceDocumentSerializer(
                services.document_verify(document=self.get_object(), officer=request.user)
            ).data
        )


class ComplianceDocumentRejectApi(ComplianceDocumentVerifyApi):
    @extend_schema(request=s.ReasonInputSerializer, responses=s.ComplianceDocumentSerializer)
    def post(self, request, pk: int):
        document = self.get_object()
        data = s.ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            s.ComplianceDocumentSerializer(
                services.document_reject(document=document, officer=request.user, reason=data.validated_data["reason"])
            ).data
        )


class ComplianceDocumentDownloadApi(ProvidersApi, GenericAPIView):
    serializer_class = None

    def get_queryset(self):
        return document_queryset(self.request.user)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        document = self.get_object()
        if request.user.provider_id != document.provider_id and not request.user.has_perm(
            "providers.verify_compliancedocument"
        ):
            raise Http404
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=f"document-{document.pk}.{document.file.name.rsplit('.', 1)[-1]}",
        )
        response["Content-Type"] = document.content_type
        response["X-Content-Type-Options"] = "nosniff"
        return response


def capacity_queryset(user):
    return CapacityDeclaration.objects.visible_to(user).select_related("therapy_type", "district").order_by("pk")


class CapacityDeclarationListApi(ProvidersApi, ListAPIView):
    serializer_class = s.CapacityDeclarationSerializer
    filterset_class = CapacityDeclarationFilter

    def get_queryset(self):
        return capacity_queryset(self.request.user)

    @extend_schema(request=s.CapacityDeclarationInputSerializer, responses={201: s.CapacityDeclarationSerializer})
    def post(self, request):
        if not request.user.provider_id or not request.user.has_perm("providers.use_provider_portal"):
            raise PermissionDenied
        data = s.CapacityDeclarationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        declaration = services.capacity_declare(provider=request.user.provider, **data.validated_data)
        return Response(
            s.CapacityDeclarationSerializer(capacity_queryset(request.user).get(pk=declaration.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class CapacityDeclarationDetailApi(ProvidersApi, RetrieveAPIView):
    serializer_class = s.CapacityDeclarationSerializer

    def get_queryset(self):
        return capacity_queryset(self.request.user)
