"""Reference data API: read-only lists and details for every signed-in person or token with `reference:read`."""

from rest_framework.generics import ListAPIView, RetrieveAPIView

from core.filters import DistrictFilter, PrimaryNeedFilter, TherapyTypeFilter
from core.selectors import district_list, primary_need_list, therapy_type_list

from .serializers import DistrictSerializer, PrimaryNeedSerializer, TherapyTypeSerializer


class ReferenceApiMixin:
    token_scope = "reference"


class DistrictListApi(ReferenceApiMixin, ListAPIView):
    serializer_class = DistrictSerializer
    filterset_class = DistrictFilter
    ordering_fields = ["name", "ons_code"]

    def get_queryset(self):
        return district_list()


class DistrictDetailApi(ReferenceApiMixin, RetrieveAPIView):
    serializer_class = DistrictSerializer

    def get_queryset(self):
        return district_list()


class TherapyTypeListApi(ReferenceApiMixin, ListAPIView):
    serializer_class = TherapyTypeSerializer
    filterset_class = TherapyTypeFilter
    ordering_fields = ["name", "code"]

    def get_queryset(self):
        return therapy_type_list()


class TherapyTypeDetailApi(ReferenceApiMixin, RetrieveAPIView):
    serializer_class = TherapyTypeSerializer

    def get_queryset(self):
        return therapy_type_list()


class PrimaryNeedListApi(ReferenceApiMixin, ListAPIView):
    serializer_class = PrimaryNeedSerializer
    filterset_class = PrimaryNeedFilter
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        return primary_need_list()


class PrimaryNeedDetailApi(ReferenceApiMixin, RetrieveAPIView):
    serializer_class = PrimaryNeedSerializer

    def get_queryset(self):
        return primary_need_list()
