"""Report runs: POST queues one (202), GET reads status, progress and result, download gets a file."""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView, RetrieveAPIView
from rest_framework.response import Response

from reporting.filters import ReportRunFilter
from reporting.models import ReportRun
from reporting.selectors import report_run_list
from reporting.services import ReportsUnavailable, report_run_request

from .serializers import ReportRunCreateInputSerializer, ReportRunDetailSerializer, ReportRunSerializer


class ReportRunListCreateApi(ListAPIView):
    token_scope = "reports"
    read_permission_required = "reporting.view_reportrun"
    permission_required = "reporting.add_reportrun"
    serializer_class = ReportRunSerializer
    filterset_class = ReportRunFilter
    ordering_fields = ["created_at", "finished_at"]

    def get_queryset(self):
        return report_run_list(user=self.request.user)

    @extend_schema(
        request=ReportRunCreateInputSerializer,
        responses={
            202: ReportRunSerializer,
            400: OpenApiResponse(description="Unknown report or bad parameters"),
            503: OpenApiResponse(description="Reports are unavailable: the job queue cannot be reached"),
        },
    )
    def post(self, request):
        data = ReportRunCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            run = report_run_request(
                kind=data.validated_data["kind"], parameters=data.validated_data["parameters"], user=request.user
            )
        except ReportsUnavailable as exc:
            return Response({"message": exc.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(
            ReportRunSerializer(run, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": run.get_absolute_url()},
        )


class ReportRunDetailApi(RetrieveAPIView):
    token_scope = "reports"
    permission_required = "reporting.view_reportrun"
    serializer_class = ReportRunDetailSerializer

    def get_queryset(self):
        return report_run_list(user=self.request.user).defer(None).prefetch_related("files")


class ReportRunDownloadApi(GenericAPIView):
    token_scope = "reports"
    permission_required = "reporting.view_reportrun"
    serializer_class = None

    def get_queryset(self):
        return report_run_list(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx", "pdf", "json"], default="csv"),
            OpenApiParameter("table", OpenApiTypes.STR, required=False, description="For CSV: which table"),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such file"),
        },
    )
    def get(self, request, pk: int):
        run = self.get_object()
        if run.status != ReportRun.Status.SUCCEEDED:
            raise Http404
        fmt = request.query_params.get("format", "csv")
        report_file = run.files.filter(format=fmt, table=request.query_params.get("table", "")).first()
        if report_file is None:
            raise Http404
        return FileResponse(report_file.file.open("rb"), as_attachment=True, filename=report_file.filename)
