"""Contract pages: the register, a contract, money over time, coverage, routes, performance returns."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from core.downloads import csv_rows
from core.selectors import transition_list_for

from . import forms, services
from .filters import ContractFilter
from .models import Contract, ContractAlert, ProcurementRoute
from .selectors import (
    comparison,
    contract_get,
    contract_list,
    contract_warnings,
    coverage,
    funding_by_funder,
    return_list,
    route_list,
)


class ContractListView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    """The contract register with rule warnings; CSV download with the same filters."""

    permission_required = "contracts.view_contract"
    template_name = "contracts/contract_list.html"
    filterset_class = ContractFilter
    context_object_name = "contracts"
    paginate_by = 50

    def get_queryset(self):
        queryset = contract_list(user=self.request.user)
        if self.request.GET.get("alerts"):
            queryset = queryset.filter(alerts__resolved_on__isnull=True).distinct()
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for contract in context["contracts"]:
            contract.warnings = contract_warnings(contract)
        return context

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get("download") == "csv":
            rows = (
                [
                    c.reference,
                    c.title,
                    str(c.supplier),
                    c.get_kind_display(),
                    c.procurement_route or "",
                    c.key_decision_number,
                    c.start_date,
                    c.end_date,
                    c.get_status_display(),
                    c.signed_on or "",
                    c.total_value,
                    "; ".join(contract_warnings(c)),
                ]
                for c in context["filter"].qs
            )
            header = [
                "Reference",
                "Title",
                "Supplier",
                "Kind",
                "Procurement route",
                "Key decision",
                "Start",
                "End",
                "Status",
                "Signed on",
                "Total value (£)",
                "Warnings",
            ]
            response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="contract-register.csv"'
            return response
        return super().render_to_response(context, **kwargs)


class ContractMixin(LoginRequiredMixin):
    @cached_property
    def contract(self) -> Contract:
        try:
            return contract_get(user=self.request.user, pk=self.kwargs["pk"])
        except Contract.DoesNotExist as exc:
            raise Http404 from exc


class ContractDetailView(ContractMixin, TemplateView):
    template_name = "contracts/contract_detail.html"

    def get_context_data(self, **kwargs):
        contract = self.contract
        returns = return_list(user=self.request.user).filter(contract=contract).order_by("-month")[:24]
        return super().get_context_data(
            contract=contract,
            warnings=contract_warnings(contract),
            funding=funding_by_funder(contract),
            returns=returns,
            history=transition_list_for(contract),
            can_edit=self.request.user.has_perm("contracts.change_contract"),
            **kwargs,
        )


class ContractFormView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    form_class = forms.ContractForm
    template_name = "contracts/contract_form.html"

    def get_permission_required(self):
        return ["contracts.change_contract"] if "pk" in self.kwargs else ["contracts.add_contract"]

    @cached_property
    def instance(self) -> Contract | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(Contract.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.instance}

    def get_context_data(self, **kwargs):
        return super().get_context_data(contract=self.instance, **kwargs)

    def form_valid(self, form):
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("therapy_types", "districts")}
        try:
            contract = services.contract_save(
                data=data,
                therapy_types=form.cleaned_data["therapy_types"],
                districts=form.cleaned_data["districts"],
                contract=self.instance,
                user=self.request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Contract {contract.reference} saved.")
        return redirect(contract)


class ContractPartView(ContractMixin, PermissionRequiredMixin, FormView):
    """Add a year's value, a variation, a funding contribution, a budget element or a funded post."""

    permission_required = "contracts.change_contract"
    template_name = "contracts/contract_part_form.html"
    PARTS = {
        "year": (forms.YearForm, "Value for a financial year", services.contract_year_set),
        "variation": (forms.VariationForm, "Record a variation", services.variation_apply),
        "funding": (forms.FundingForm, "Add a funding contribution", services.funding_add),
        "element": (forms.ElementForm, "Add a budget element", services.element_add),
        "post": (forms.PostForm, "Add a funded post", services.post_add),
    }

    def dispatch(self, request, *args, **kwargs):
        if kwargs["part"] not in self.PARTS:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return self.PARTS[self.kwargs["part"]][0]

    def get_context_data(self, **kwargs):
        return super().get_context_data(contract=self.contract, title=self.PARTS[self.kwargs["part"]][1], **kwargs)

    def form_valid(self, form):
        service = self.PARTS[self.kwargs["part"]][2]
        extra = {"user": self.request.user} if self.kwargs["part"] == "variation" else {}
        try:
            service(contract=self.contract, **form.cleaned_data, **extra)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Saved.")
        return redirect(self.contract)


class ContractStatusView(ContractMixin, PermissionRequiredMixin, FormView):
    permission_required = "contracts.change_contract_status"
    form_class = forms.StatusForm
    template_name = "contracts/contract_part_form.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(contract=self.contract, title="Change the contract's status", **kwargs)

    def form_valid(self, form):
        try:
            services.contract_set_status(contract=self.contract, user=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Status changed.")
        return redirect(self.contract)


class CoverageView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """District × therapy: who covers each cell; gaps highlighted."""

    permission_required = "contracts.view_contract"
    template_name = "contracts/coverage.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**coverage(user=self.request.user), **kwargs)


class RouteListView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "contracts.view_procurementroute"
    template_name = "contracts/route_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(routes=route_list(), **kwargs)


class RouteUpdateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "contracts.change_procurementroute"
    form_class = forms.RouteForm
    template_name = "contracts/route_form.html"

    @cached_property
    def route(self) -> ProcurementRoute:
        return get_object_or_404(ProcurementRoute, pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.route}

    def get_context_data(self, **kwargs):
        return super().get_context_data(route=self.route, **kwargs)

    def form_valid(self, form):
        services.route_update(route=self.route, data=form.cleaned_data)
        messages.success(self.request, f"The rules for ‘{self.route.name}’ have been saved.")
        return redirect("contracts:route-list")


class ReturnTemplateView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "contracts.view_performancereturn"

    def get(self, request, *args, **kwargs):
        response = HttpResponse(services.returns_template(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="performance-return-template.csv"'
        return response


class ReturnUploadView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """Upload a month of returns in the standard template: any bad row rejects the whole file."""

    permission_required = "contracts.add_performancereturn"
    form_class = forms.ReturnUploadForm
    template_name = "contracts/return_upload.html"

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            form.add_error("file", "The file must be smaller than 5MB.")
            return self.form_invalid(form)
        try:
            batch = services.returns_import(
                content=upload.read(),
                filename=upload.name,
                user=self.request.user,
                replace=form.cleaned_data["replace"],
                contracts=Contract.objects.visible_to(self.request.user),
            )
        except ValidationError as exc:
            return render(self.request, self.template_name, {"form": form, "import_errors": exc.messages}, status=400)
        messages.success(self.request, f"{batch.rows} rows imported ({batch.replaced} replaced).")
        return redirect("contracts:performance-comparison")


class ComparisonView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Trusts side by side per month on the same measures, "not reported" distinct from zero, notes beside."""

    permission_required = "contracts.view_performancereturn"
    template_name = "contracts/comparison.html"

    def get_context_data(self, **kwargs):
        form = forms.ComparisonForm(self.request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        result = comparison(
            user=self.request.user,
            therapy=data.get("therapy_type"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        return super().get_context_data(form=form, **result, **kwargs)


def alerts_panel_context(request) -> dict:
    alerts = (
        ContractAlert.objects.visible_to(request.user)
        .filter(resolved_on__isnull=True)
        .select_related("contract__supplier")
        .order_by("kind", "contract__end_date")[:20]
    )
    return {"alerts": list(alerts)}
