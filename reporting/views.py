"""Report pages: ask for a run, watch its progress, read the result, download it."""

from csp.decorators import csp_exempt
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from .charts import chart_svg
from .definitions import all_definitions, get_definition
from .filters import ReportRunFilter
from .models import ReportRun, ReportSubscription
from .selectors import report_run_get, report_run_list
from .services import ReportsUnavailable, report_run_request, report_subscription_set


def _posted(form) -> dict:
    """The posted parameters as plain JSON: every ticked box of a multiple choice, one value for the rest."""
    return {
        name: form.data.getlist(name) if getattr(field.widget, "allow_multiple_selected", False) else form.data[name]
        for name, field in form.fields.items()
        if name in form.data
    }


class ReportRunListView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    permission_required = "reporting.view_reportrun"
    template_name = "reporting/reportrun_list.html"
    filterset_class = ReportRunFilter
    context_object_name = "runs"
    paginate_by = 25

    def get_queryset(self):
        return report_run_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        subscribed = set(ReportSubscription.objects.filter(user=self.request.user).values_list("kind", flat=True))
        titles = {d.kind: d.title for d in all_definitions()}
        return super().get_context_data(definitions=all_definitions(), subscribed=subscribed, titles=titles, **kwargs)


class ReportRunCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "reporting.add_reportrun"
    template_name = "reporting/reportrun_form.html"

    @cached_property
    def definition(self):
        definition = get_definition(self.kwargs["kind"])
        if definition is None:
            raise Http404
        return definition

    def get_form(self, form_class=None):
        return self.definition.form(data=self.request.POST if self.request.method == "POST" else None)

    def get_context_data(self, **kwargs):
        return super().get_context_data(definition=self.definition, **kwargs)

    def form_valid(self, form):
        try:
            run = report_run_request(kind=self.definition.kind, parameters=_posted(form), user=self.request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        except ReportsUnavailable as exc:
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=503)
        return redirect(run)


class ReportRunDetailView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Progress while the run is queued or running (refreshing itself with JavaScript, or by a link);
    the result with its tables, charts and downloads once finished."""

    permission_required = "reporting.view_reportrun"

    @cached_property
    def run(self) -> ReportRun:
        try:
            return report_run_get(user=self.request.user, pk=self.kwargs["pk"])
        except ReportRun.DoesNotExist as exc:
            raise Http404 from exc

    def get_template_names(self):
        if self.run.status == ReportRun.Status.SUCCEEDED:
            return ["reporting/reportrun_result.html"]
        return ["reporting/reportrun_progress.html"]

    def get_context_data(self, **kwargs):
        definition = get_definition(self.run.kind)
        result = self.run.result or {}
        tables = {t["key"]: t for t in result.get("tables", [])}
        charts = [
            dict(chart, table_title=tables.get(chart["table"], {}).get("title", ""))
            for chart in result.get("charts", [])
        ]
        return super().get_context_data(
            run=self.run,
            definition=definition,
            params=definition.describe_params(self.run.parameters) if definition else [],
            result=result,
            charts=charts,
            files=list(self.run.files.all()),
            **kwargs,
        )


class ReportRunDownloadView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "reporting.view_reportrun"

    def get(self, request, pk: int, fmt: str):
        run = get_object_or_404(report_run_list(user=request.user), pk=pk)
        report_file = get_object_or_404(run.files.all(), format=fmt, table=request.GET.get("table", ""))
        response = FileResponse(report_file.file.open("rb"), as_attachment=True, filename=report_file.filename)
        response["X-Content-Type-Options"] = "nosniff"
        return response


@method_decorator(csp_exempt(), name="dispatch")  # an SVG shown as an image cannot run scripts; pygal styles inline
class ReportChartView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "reporting.view_reportrun"

    def get(self, request, pk: int, key: str):
        run = get_object_or_404(
            report_run_list(user=request.user).defer(None), pk=pk, status=ReportRun.Status.SUCCEEDED
        )
        result = run.result or {}
        chart = next((c for c in result.get("charts", []) if c["key"] == key), None)
        if chart is None:
            raise Http404
        table = next(t for t in result["tables"] if t["key"] == chart["table"])
        response = HttpResponse(chart_svg(chart, table), content_type="image/svg+xml")
        response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return response


class ReportSubscriptionView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """Subscribe to (or stop) an email with a link when the monthly run of a report is ready."""

    permission_required = "reporting.view_reportrun"

    def post(self, request, kind: str):
        subscribe = request.POST.get("subscribe") == "1"
        try:
            report_subscription_set(user=request.user, kind=kind, subscribed=subscribe)
        except ValidationError as exc:
            raise Http404 from exc
        title = get_definition(kind).title
        messages.success(
            request,
            f"You will be emailed when the monthly ‘{title}’ report is ready."
            if subscribe
            else f"You will no longer be emailed about the monthly ‘{title}’ report.",
        )
        return redirect("reporting:reportrun-list")
