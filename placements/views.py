"""Pages for children's therapy: children, provision, the waiting list, sourcing, placements, invoices,
disputes, reviews and provision assurance.

Every page about one record checks, in order: may this person see records of this kind at all (403);
is this record within what they may see (`visible_to`, else 404); may they do this to it (403). A child
is named only through `placements.templatetags.children`, on pages and in downloads alike.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, ListView, TemplateView
from django_filters.views import FilterView

from core.downloads import csv_rows
from core.selectors import transition_list_for
from core.services import record_access
from providers.selectors import price_in_force, qpl_candidates

from . import forms, selectors, services
from .filters import (
    WAITING,
    ChildFilter,
    DisputeFilter,
    InvoiceFilter,
    PlacementFilter,
    PlacementRequestFilter,
    ReferralFilter,
    SchoolPlacementFilter,
)
from .models import (
    Child,
    Dispute,
    Invitation,
    Invoice,
    Offer,
    PersonalBudget,
    Placement,
    PlacementRequest,
    Referral,
    SchoolPlacement,
    sees_child_identity,
)
from .templatetags.children import child_label_text

TWO_PLACES = Decimal("0.01")


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def two_places(value) -> Decimal | str:
    return "" if value is None else Decimal(value).quantize(TWO_PLACES)


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


# Access -----------------------------------------------------------------------------------------


class RecordMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """A page about one record. `view_permission`: may this person see records of this kind at all (403);
    `get_record()` from `visible_to`: is this one theirs to see (404); `permission_required`: may they do
    this to it (403). Scope is settled before the action's capability, so someone else's record looks
    like nothing there."""

    view_permission = ""

    def get_record(self):
        raise NotImplementedError

    @cached_property
    def record(self):
        try:
            return self.get_record()
        except ObjectDoesNotExist as exc:
            raise Http404 from exc

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if self.view_permission and not request.user.has_perm(self.view_permission):
                raise PermissionDenied
            if self.record is None:
                raise Http404
        return super().dispatch(request, *args, **kwargs)


class ChildAccessMixin:
    """Pages of a child's record (the child and the lines of their plan): every GET is written to the
    audit trail (who, when, what), whatever the page shows."""

    def record_child(self) -> Child:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        record_access(user=request.user, instance=self.record_child(), what="child record")
        return super().get(request, *args, **kwargs)


class ServiceFormMixin:
    """A form whose valid input goes to one service; the service's errors land on the matching fields."""

    success_message = ""

    def call_service(self, data: dict):
        raise NotImplementedError

    def success_url_for(self, result) -> str:
        return result.get_absolute_url()

    def form_valid(self, form):
        try:
            result = self.call_service(form.cleaned_data)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.success_url_for(result))


def scope_filter_form(form, user) -> None:
    """Leave out filters that would show this person something outside their role: another provider's
    name in a list of providers, or a search by a child's identity they may not see."""
    if getattr(user, "provider_id", None):
        form.fields.pop("provider", None)
        form.fields.pop("school", None)
    if not sees_child_identity(user):
        form.fields.pop("date_of_birth", None)
        if "q" in form.fields:
            form.fields["q"].label = "EHCP reference"


class ListPageView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    """A filtered, paginated list with a CSV download (`?download=csv`) of the same rows, unpaginated."""

    paginate_by = 50
    download_name = ""

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        scope_filter_form(filterset.form, self.request.user)
        return filterset

    def csv(self, rows) -> tuple[list[str], object]:
        raise NotImplementedError

    def render_to_response(self, context, **kwargs):
        if self.download_name and self.request.GET.get("download") == "csv":
            header, rows = self.csv(self.object_list)
            return csv_response(self.download_name, header, rows)
        return super().render_to_response(context, **kwargs)


# Children ---------------------------------------------------------------------------------------


class ChildListView(ListPageView):
    permission_required = "placements.view_child"
    template_name = "placements/child_list.html"
    filterset_class = ChildFilter
    context_object_name = "children"
    download_name = "children.csv"

    def get_queryset(self):
        return selectors.child_list(user=self.request.user)

    def csv(self, children):
        user = self.request.user
        identity = sees_child_identity(user)
        council = not user.provider_id
        header = [
            "Child",
            *(["Date of birth"] if identity else []),
            "District",
            "School",
            "School URN",
            "Primary need",
            "Status",
            "Active placements",
            *(["Waiting referrals"] if council else []),
        ]
        rows = (
            [
                child_label_text(user, c),
                *([c.date_of_birth] if identity else []),
                c.district,
                c.school_name,
                c.school_urn,
                c.primary_need or "",
                c.get_status_display(),
                c.active_placements,
                *([c.waiting_referrals] if council else []),
            ]
            for c in children
        )
        return header, rows


class ChildCreateView(LoginRequiredMixin, PermissionRequiredMixin, ServiceFormMixin, FormView):
    permission_required = "placements.add_child"
    form_class = forms.ChildForm
    template_name = "placements/child_form.html"
    success_message = "The child's record has been created."

    def call_service(self, data):
        return services.child_create(data=data, user=self.request.user)


class ChildMixin(ChildAccessMixin, RecordMixin):
    view_permission = "placements.view_child"

    def get_record(self) -> Child:
        return Child.objects.visible_to(self.request.user).get(pk=self.kwargs["pk"])

    def record_child(self) -> Child:
        return self.record


class ChildDetailView(ChildMixin, TemplateView):
    """The child's record: details, plan, waiting list, placements, school placements and requests for a
    school place, budgets, invoices, disputes, reviews, spend by financial year, and provision assurance for
    a period (the current financial year unless chosen)."""

    permission_required = "placements.view_child"
    template_name = "placements/child_detail.html"

    @cached_property
    def period_form(self) -> forms.PeriodForm:
        return forms.PeriodForm(self.request.GET)

    def get_record(self) -> dict:
        start, end = self.period_form.period()
        return selectors.child_page(user=self.request.user, pk=self.kwargs["pk"], start=start, end=end)

    def record_child(self) -> Child:
        return self.record["child"]

    def get_context_data(self, **kwargs):
        start, end = self.period_form.period()
        return super().get_context_data(
            **self.record, period_form=self.period_form, period_start=start, period_end=end, **kwargs
        )


class ChildEditView(ChildMixin, ServiceFormMixin, FormView):
    permission_required = "placements.change_child"
    form_class = forms.ChildForm
    template_name = "placements/child_form.html"
    success_message = "The child's record has been saved."

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.record}

    def get_context_data(self, **kwargs):
        return super().get_context_data(child=self.record, **kwargs)

    def call_service(self, data):
        return services.child_update(child=self.record, data=data, user=self.request.user)


class ProvisionCreateView(ChildMixin, ServiceFormMixin, FormView):
    permission_required = "placements.add_provision"
    form_class = forms.ProvisionForm
    template_name = "placements/provision_form.html"
    success_message = "The provision has been added to the plan."

    def get_context_data(self, **kwargs):
        return super().get_context_data(child=self.record, **kwargs)

    def call_service(self, data):
        return services.provision_save(child=self.record, data=data, user=self.request.user)

    def success_url_for(self, result) -> str:
        return self.record.get_absolute_url()


class ProvisionMixin(ChildAccessMixin, RecordMixin):
    view_permission = "placements.view_provision"

    def get_record(self):
        return selectors.provision_get(user=self.request.user, pk=self.kwargs["pk"])

    def record_child(self) -> Child:
        return self.record.child

    def get_context_data(self, **kwargs):
        return super().get_context_data(provision=self.record, child=self.record.child, **kwargs)


class ProvisionEditView(ProvisionMixin, ServiceFormMixin, FormView):
    permission_required = "placements.change_provision"
    form_class = forms.ProvisionForm
    template_name = "placements/provision_form.html"
    success_message = "The provision has been saved."

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.record}

    def call_service(self, data):
        provision = self.record
        return services.provision_save(child=provision.child, data=data, user=self.request.user, provision=provision)

    def success_url_for(self, result) -> str:
        return self.record.child.get_absolute_url()


class ReferralCreateView(ProvisionMixin, ServiceFormMixin, FormView):
    permission_required = "placements.add_referral"
    form_class = forms.ReferralForm
    template_name = "placements/action_form.html"
    success_message = "The provision is on the waiting list."

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title="Put this provision on the waiting list", back_url=self.record.child.get_absolute_url(), **kwargs
        )

    def call_service(self, data):
        return services.referral_create(provision=self.record, referred_on=data["referred_on"], user=self.request.user)


# The waiting list -------------------------------------------------------------------------------


class ReferralListView(ListPageView):
    """The waiting list, longest wait first: waiting referrals unless another stage is chosen, with how many
    fall in each wait band (of the referrals the filters select)."""

    permission_required = "placements.view_referral"
    template_name = "placements/referral_list.html"
    filterset_class = ReferralFilter
    context_object_name = "referrals"
    download_name = "waiting-list.csv"

    def get_queryset(self):
        return selectors.referral_list(user=self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if "stage" not in self.request.GET:  # no stage chosen: the children still waiting
            data = self.request.GET.copy()
            data["stage"] = WAITING
            kwargs["data"] = data
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["bands"] = selectors.wait_band_counts(self.object_list)
        return context

    def csv(self, referrals):
        user, today = self.request.user, timezone.localdate()
        header = ["Referral", "Child", "District", "Therapy", "Provision", "Referred on", "Stage", "Weeks waiting"]
        rows = (
            [
                r.pk,
                child_label_text(user, r.child),
                r.child.district,
                r.provision.therapy_type,
                r.provision.summary,
                r.referred_on,
                r.get_stage_display(),
                r.weeks_waiting(today),
            ]
            for r in referrals
        )
        return header, rows


class ReferralMixin(RecordMixin):
    view_permission = "placements.view_referral"

    def get_record(self) -> Referral:
        return selectors.referral_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(referral=self.record, **kwargs)


class ReferralDetailView(ReferralMixin, TemplateView):
    permission_required = "placements.view_referral"
    template_name = "placements/referral_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(history=transition_list_for(self.record), **kwargs)


class ReferralStageView(ReferralMixin, ServiceFormMixin, FormView):
    permission_required = "placements.change_referral"
    form_class = forms.ReferralStageForm
    template_name = "placements/action_form.html"
    success_message = "The referral has been moved."

    def get_initial(self):
        return {"stage": self.record.stage}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Move the referral", back_url=self.record.get_absolute_url(), **kwargs)

    def call_service(self, data):
        return services.referral_move(
            referral=self.record, stage=data["stage"], user=self.request.user, on=data["on"], reason=data["reason"]
        )


class ReferralCandidatesView(ReferralMixin, TemplateView):
    """Admitted QPL providers who offer the therapy in the child's district, with their declared capacity and
    price in force on the start date, most suitable first; each can be chosen for a call-off."""

    permission_required = "placements.add_placement"
    template_name = "placements/referral_candidates.html"

    def get_context_data(self, **kwargs):
        form = forms.CandidatesForm(self.request.GET)
        referral, on = self.record, form.start()
        candidates = qpl_candidates(
            therapy_type=referral.provision.therapy_type,
            district=referral.child.district,
            on=on,
            unit=referral.provision.unit,
        )
        return super().get_context_data(form=form, on=on, candidates=candidates, **kwargs)


# Sourcing ---------------------------------------------------------------------------------------


class PlacementCreateView(RecordMixin, FormView):
    """Arrange therapy for a line of a plan under one arrangement (a slug in the URL): a QPL call-off, a spot
    purchase from a provider off the QPL, a personal budget, or an NHS contract. The placement starts proposed.
    The query string may name the provider (`provider`), the referral (`referral`) and the start (`start`)."""

    view_permission = "placements.view_provision"
    permission_required = "placements.add_placement"
    template_name = "placements/placement_form.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["arrangement"] not in forms.ARRANGEMENTS:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_record(self):
        return selectors.provision_get(user=self.request.user, pk=self.kwargs["pk"])

    @property
    def arrangement(self) -> str:
        return forms.ARRANGEMENTS[self.kwargs["arrangement"]][0]

    @cached_property
    def referral(self) -> Referral | None:
        pk = self.request.GET.get("referral", "")
        if not pk:
            return None
        if not pk.isdigit():
            raise Http404
        return get_object_or_404(Referral.objects.visible_to(self.request.user), pk=pk, provision_id=self.record.pk)

    @cached_property
    def start(self):
        try:
            return parse_date(self.request.GET.get("start", "")) or None
        except ValueError:
            return None

    def get_form_class(self):
        return forms.ARRANGEMENTS[self.kwargs["arrangement"]][1]

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "provision": self.record}
        provision, on = self.record, self.start or timezone.localdate()
        if self.arrangement == Placement.Arrangement.QPL_CALL_OFF:
            kwargs["providers"] = qpl_candidates(
                therapy_type=provision.therapy_type, district=provision.child.district, on=on, unit=provision.unit
            )
            chosen = self.chosen_provider(kwargs["providers"])
            if chosen is not None:
                kwargs["rate_in_force"] = price_in_force(
                    provider=chosen, therapy_type=provision.therapy_type, unit=provision.unit, on=on
                )
        elif self.arrangement == Placement.Arrangement.SPOT_PURCHASE:
            kwargs["providers"] = selectors.spot_purchase_providers(on=on)
        elif self.arrangement == Placement.Arrangement.NHS_CONTRACT:
            kwargs["contracts"] = selectors.live_contracts(user=self.request.user, on=on)
        return kwargs

    def chosen_provider(self, providers):
        pk = self.request.GET.get("provider", "")
        return providers.filter(pk=pk).first() if pk.isdigit() else None

    def get_initial(self):
        initial = {"start_date": self.start}
        if self.request.GET.get("provider", "").isdigit():
            initial["provider"] = int(self.request.GET["provider"])
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            provision=self.record,
            child=self.record.child,
            referral=self.referral,
            arrangement_slug=self.kwargs["arrangement"],
            arrangement_label=Placement.Arrangement(self.arrangement).label,
            arrangements=forms.ARRANGEMENTS,
            **kwargs,
        )

    def form_valid(self, form):
        data = {k: v for k, v in form.cleaned_data.items() if k in forms.ARRANGEMENT_FIELDS}
        try:
            placement = services.placement_arrange(
                provision=self.record,
                arrangement=self.arrangement,
                user=self.request.user,
                referral=self.referral,
                **data,
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"Placement #{placement.pk} has been proposed. Activate it once it is agreed.")
        return redirect(placement)


# Placements -------------------------------------------------------------------------------------


class PlacementListView(ListPageView):
    permission_required = "placements.view_placement"
    template_name = "placements/placement_list.html"
    filterset_class = PlacementFilter
    context_object_name = "placements"
    download_name = "placements.csv"

    def get_queryset(self):
        return selectors.placement_list(user=self.request.user)

    def csv(self, placements):
        user = self.request.user
        header = [
            "Placement",
            "Child",
            "District",
            "Therapy",
            "Arrangement",
            "Not on the QPL",
            "Paid to",
            "Start",
            "End",
            "Status",
            "Rate (£ a unit)",
            "Unit",
            "Units a week",
            "Weeks a year",
            "Committed (£)",
        ]
        rows = (
            [
                p.pk,
                child_label_text(user, p.child),
                p.child.district,
                p.provision.therapy_type,
                p.get_arrangement_display(),
                yes_no(p.is_off_qpl),
                p.payee,
                p.start_date,
                p.end_date,
                p.get_status_display(),
                "" if p.rate is None else p.rate,
                p.get_unit_display(),
                p.units_per_week,
                p.weeks_per_year,
                p.committed,
            ]
            for p in placements
        )
        return header, rows


class PlacementDetailView(RecordMixin, TemplateView):
    """A placement: its terms, rate history, committed cost per financial year, invoices, disputes, reviews
    and status history."""

    view_permission = permission_required = "placements.view_placement"
    template_name = "placements/placement_detail.html"

    def get_record(self) -> dict:
        return selectors.placement_history(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.record, **kwargs)


class PlacementActionView(RecordMixin, ServiceFormMixin, FormView):
    """One thing done to a placement, through its service, from a page that works without JavaScript."""

    view_permission = "placements.view_placement"
    template_name = "placements/action_form.html"
    title = ""

    def get_record(self) -> Placement:
        return selectors.placement_summary_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            placement=self.record, title=self.title, back_url=self.record.get_absolute_url(), **kwargs
        )

    def success_url_for(self, result) -> str:
        return self.record.get_absolute_url()


class PlacementActivateView(PlacementActionView):
    permission_required = "placements.change_placement_status"
    form_class = forms.ActivateForm
    title = "Activate the placement"
    success_message = "The placement is active: the therapy is commissioned."

    def call_service(self, data):
        return services.placement_activate(
            placement=self.record, user=self.request.user, purchase_order=data["purchase_order"]
        )


class PlacementEndView(PlacementActionView):
    permission_required = "placements.change_placement_status"
    form_class = forms.EndForm
    title = "End the placement"
    success_message = "The placement has ended."

    def call_service(self, data):
        return services.placement_end(
            placement=self.record,
            end_date=data["end_date"],
            reason=data["reason"],
            user=self.request.user,
            note=data["note"],
        )


class PlacementCancelView(PlacementActionView):
    permission_required = "placements.change_placement_status"
    form_class = forms.CancelForm
    title = "Cancel the placement"
    success_message = "The placement has been cancelled."

    def call_service(self, data):
        return services.placement_cancel(placement=self.record, reason=data["reason"], user=self.request.user)


class PlacementVaryView(PlacementActionView):
    permission_required = "placements.add_placementvariation"
    form_class = forms.VaryRateForm
    title = "Change the rate"
    success_message = "The rate change has been recorded."

    def call_service(self, data):
        return services.placement_vary_rate(placement=self.record, user=self.request.user, **data)


class ReviewCreateView(PlacementActionView):
    permission_required = "placements.add_review"
    form_class = forms.ReviewForm
    title = "Record a review"
    success_message = "The review has been recorded."

    def call_service(self, data):
        return services.review_record(placement=self.record, user=self.request.user, **data)


class DisputeCreateView(PlacementActionView):
    permission_required = "placements.add_dispute"
    form_class = forms.DisputeForm
    title = "Raise a dispute"
    success_message = "The dispute has been raised."

    def call_service(self, data):
        return services.dispute_raise(placement=self.record, user=self.request.user, **data)

    def success_url_for(self, result) -> str:
        return result.get_absolute_url()


class InvoiceCreateView(PlacementActionView):
    """A provider user submits an invoice for their own placement; an officer records a payment to a family
    on a personal budget. Nobody submits one for another organisation."""

    permission_required = "placements.add_invoice"
    form_class = forms.InvoiceForm

    @property
    def family_payment(self) -> bool:
        return self.record.arrangement == Placement.Arrangement.PERSONAL_BUDGET

    @property
    def title(self) -> str:
        return "Record a payment to the family" if self.family_payment else "Submit an invoice"

    def has_permission(self) -> bool:
        # Providers invoice their own placements; the council records payments to families (and may record
        # a provider's paper invoice). services.invoice_submit holds the same rule.
        provider_user = bool(self.request.user.provider_id)
        return super().has_permission() and not (provider_user and self.family_payment)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "family_payment": self.family_payment}

    def call_service(self, data):
        return services.invoice_submit(placement=self.record, user=self.request.user, **data)

    def success_url_for(self, result) -> str:
        return result.get_absolute_url()


class PersonalBudgetEditView(RecordMixin, ServiceFormMixin, FormView):
    view_permission = "placements.view_personalbudget"
    permission_required = "placements.change_personalbudget"
    form_class = forms.PersonalBudgetEditForm
    template_name = "placements/action_form.html"
    success_message = "The personal budget has been saved."

    def get_record(self) -> PersonalBudget:
        return selectors.personal_budget_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_initial(self):
        budget = self.record
        return {"amount": budget.amount, "review_on": budget.review_on, "notes": budget.notes}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            placement=self.record.placement,
            title="Change the personal budget",
            back_url=self.record.placement.get_absolute_url(),
            **kwargs,
        )

    def call_service(self, data):
        return services.personal_budget_update(budget=self.record, user=self.request.user, **data)

    def success_url_for(self, result) -> str:
        return self.record.placement.get_absolute_url()


class ReviewDueListView(LoginRequiredMixin, PermissionRequiredMixin, ListView):
    """Active placements whose review is due within N days (or overdue), soonest first."""

    permission_required = "placements.view_review"
    template_name = "placements/review_due_list.html"
    context_object_name = "placements"
    paginate_by = 50

    @cached_property
    def form(self) -> forms.ReviewsDueForm:
        return forms.ReviewsDueForm(self.request.GET)

    def get_queryset(self):
        return selectors.reviews_due(user=self.request.user, within_days=self.form.days())

    def get_context_data(self, **kwargs):
        return super().get_context_data(form=self.form, within=self.form.days(), today=timezone.localdate(), **kwargs)


# Invoices ---------------------------------------------------------------------------------------


class InvoiceListView(ListPageView):
    permission_required = "placements.view_invoice"
    template_name = "placements/invoice_list.html"
    filterset_class = InvoiceFilter
    context_object_name = "invoices"
    download_name = "invoices.csv"

    def get_queryset(self):
        return selectors.invoice_list(user=self.request.user)

    def csv(self, invoices):
        user = self.request.user
        header = [
            "Invoice",
            "Paid to",
            "Placement",
            "Not on the QPL",
            "Child",
            "Therapy",
            "Period from",
            "Period to",
            "Units delivered",
            "Amount (£)",
            "Units × rate (£)",
            "Discrepancy",
            "Status",
            "Submitted",
        ]
        rows = (
            [
                i.number,
                i.provider or "The family (personal budget)",
                i.placement_id,
                yes_no(i.placement.is_off_qpl),
                child_label_text(user, i.placement.child),
                i.placement.provision.therapy_type,
                i.period_start,
                i.period_end,
                i.units_delivered,
                i.amount,
                "" if i.expected_amount is None else i.expected_amount,
                i.discrepancy_note if i.has_discrepancy else "",
                i.get_status_display(),
                timezone.localtime(i.submitted_at).date(),
            ]
            for i in invoices
        )
        return header, rows


class InvoiceDetailView(RecordMixin, TemplateView):
    view_permission = permission_required = "placements.view_invoice"
    template_name = "placements/invoice_detail.html"

    def get_record(self) -> Invoice:
        return selectors.invoice_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(invoice=self.record, history=transition_list_for(self.record), **kwargs)


class InvoiceActionView(RecordMixin, ServiceFormMixin, FormView):
    view_permission = "placements.view_invoice"
    permission_required = "placements.decide_invoice"
    template_name = "placements/invoice_action.html"
    title = ""

    def get_record(self) -> Invoice:
        return selectors.invoice_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(invoice=self.record, title=self.title, **kwargs)

    def success_url_for(self, result) -> str:
        return self.record.get_absolute_url()


class InvoiceApproveView(InvoiceActionView):
    form_class = forms.ApproveForm
    title = "Approve the invoice"
    success_message = "The invoice has been approved."

    def call_service(self, data):
        return services.invoice_approve(invoice=self.record, user=self.request.user, note=data["note"])


class InvoiceDisputeView(InvoiceActionView):
    form_class = forms.InvoiceDisputeForm
    title = "Dispute the invoice"
    success_message = "The invoice is disputed and the provider has been told."

    def call_service(self, data):
        return services.invoice_dispute(invoice=self.record, user=self.request.user, **data)

    def success_url_for(self, result) -> str:
        return result.get_absolute_url()


class InvoiceMarkPaidView(InvoiceActionView):
    form_class = forms.MarkPaidForm
    title = "Mark the invoice paid"
    success_message = "The invoice has been marked paid."

    def call_service(self, data):
        return services.invoice_mark_paid(invoice=self.record, user=self.request.user, **data)


# Disputes ---------------------------------------------------------------------------------------


class DisputeListView(ListPageView):
    permission_required = "placements.view_dispute"
    template_name = "placements/dispute_list.html"
    filterset_class = DisputeFilter
    context_object_name = "disputes"

    def get_queryset(self):
        return selectors.dispute_list(user=self.request.user)


class DisputeMixin(RecordMixin):
    view_permission = "placements.view_dispute"

    def get_record(self) -> Dispute:
        return selectors.dispute_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(dispute=self.record, **kwargs)


class DisputeDetailView(DisputeMixin, TemplateView):
    permission_required = "placements.view_dispute"
    template_name = "placements/dispute_detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(history=transition_list_for(self.record), **kwargs)


class DisputeResolveView(DisputeMixin, ServiceFormMixin, FormView):
    permission_required = "placements.resolve_dispute"
    form_class = forms.ResolveForm
    template_name = "placements/action_form.html"
    success_message = "The dispute has been resolved."

    def get_form_kwargs(self):
        invoice = self.record.invoice
        disputed = invoice is not None and invoice.status == Invoice.Status.DISPUTED
        return {**super().get_form_kwargs(), "invoice_disputed": disputed}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            placement=self.record.placement,
            title="Resolve the dispute",
            back_url=self.record.get_absolute_url(),
            **kwargs,
        )

    def call_service(self, data):
        return services.dispute_resolve(dispute=self.record, user=self.request.user, **data)


# Provision assurance ----------------------------------------------------------------------------


class ProvisionAssuranceView(LoginRequiredMixin, PermissionRequiredMixin, ListView):
    """Children whose delivered therapy falls short of their plan by more than a threshold over a period
    (the current financial year and 20% unless chosen): specified, commissioned and delivered units."""

    permission_required = "placements.view_provision_assurance"
    template_name = "placements/provision_assurance.html"
    context_object_name = "rows"
    paginate_by = 50

    @cached_property
    def form(self) -> forms.AssuranceForm:
        return forms.AssuranceForm(self.request.GET)

    def get_queryset(self):
        start, end = self.form.period()
        return selectors.assurance_by_child(
            user=self.request.user, start=start, end=end, threshold_percent=self.form.threshold_percent()
        )

    def get_context_data(self, **kwargs):
        start, end = self.form.period()
        return super().get_context_data(
            form=self.form, start=start, end=end, threshold=self.form.threshold_percent(), **kwargs
        )

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get("download") == "csv":
            user = self.request.user
            header = [
                "Child",
                "Lines of provision",
                "Specified (units)",
                "Commissioned (units)",
                "Delivered (units)",
                "Shortfall (units)",
                "Shortfall (% of specified)",
            ]
            rows = (
                [
                    child_label_text(user, row),
                    row["lines"],
                    two_places(row["specified_total"]),
                    two_places(row["commissioned_total"]),
                    two_places(row["delivered_total"]),
                    two_places(row["shortfall_total"]),
                    (Decimal(row["shortfall_total"]) * 100 / Decimal(row["specified_total"])).quantize(Decimal("0.1")),
                ]
                for row in self.object_list
            )
            return csv_response("provision-assurance.csv", header, rows)
        return super().render_to_response(context, **kwargs)


# NMISS: school places through the DPS ----------------------------------------------------------
# A school (a provider user) only ever reaches its own invitations and offers: `visible_to` makes the
# rest 404. On a request it is shown the pseudonymised profile only, from a template of its own.


class PlacementRequestListView(ListPageView):
    """Requests for a school place. Council staff see every request with how many schools were invited and
    offered; a school sees the requests it was invited to, with its own invitation's status."""

    permission_required = "placements.view_placementrequest"
    template_name = "placements/placementrequest_list.html"
    filterset_class = PlacementRequestFilter
    context_object_name = "placement_requests"

    def get_queryset(self):
        return selectors.placement_request_rows(user=self.request.user)


class PlacementRequestCreateView(ChildMixin, ServiceFormMixin, FormView):
    permission_required = "placements.add_placementrequest"
    form_class = forms.PlacementRequestForm
    template_name = "placements/placementrequest_form.html"
    success_message = "The request has been saved. Invite the eligible schools to send it out."

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "lots": selectors.dps_lot_list()}

    def get_initial(self):
        return {"setting": PlacementRequest.Setting.DAY}

    def get_context_data(self, **kwargs):
        return super().get_context_data(child=self.record, **kwargs)

    def call_service(self, data):
        return services.placement_request_create(
            child=self.record,
            lot=data["lot"],
            needs_summary=data["needs_summary"],
            setting=data["setting"],
            required_start=data["required_start"],
            deadline=data["deadline_at"],
            quality_weight=data["quality_weight"],
            price_weight=data["price_weight"],
            user=self.request.user,
        )


class PlacementRequestMixin(RecordMixin):
    """A page about one request: `record` is what `placement_request_page` gives this person."""

    view_permission = "placements.view_placementrequest"

    def get_record(self) -> dict:
        return selectors.placement_request_page(user=self.request.user, pk=self.kwargs["pk"])

    @property
    def placement_request(self) -> PlacementRequest:
        return self.record["placement_request"]

    def invite_form(self, data=None) -> forms.InviteForm:
        return forms.InviteForm(data, schools=self.record["to_invite"])

    def award_form(self, data=None) -> forms.AwardForm:
        return forms.AwardForm(data, ranked=self.record["ranked"])

    def success_url_for(self, result) -> str:
        return self.placement_request.get_absolute_url()


class PlacementRequestDetailView(PlacementRequestMixin, TemplateView):
    """The request. Council staff: the child, eligible schools, invitations, offers, the ranking once offers
    have closed, the award and the history. A school: the pseudonymised profile, its own invitation and offer,
    and the offer form while offers are open."""

    permission_required = "placements.view_placementrequest"

    def get_template_names(self):
        if self.record["school_view"]:
            return ["placements/placementrequest_school.html"]
        return ["placements/placementrequest_detail.html"]

    def get_context_data(self, **kwargs):
        """The forms this person may use now, each posting to its own page (which shows any errors)."""
        context = super().get_context_data(**self.record, **kwargs)
        user, placement_request = self.request.user, self.placement_request
        if self.record["school_view"]:
            invitation = self.record["invitation"]
            answerable = invitation.status == Invitation.Status.INVITED and placement_request.is_open_for_offers()
            if answerable and user.has_perm("placements.add_offer"):
                form = forms.OfferForm(initial={"start_date": placement_request.required_start})
                form.helper.form_action = reverse("placements:offer-create", args=[invitation.pk])
                context["offer_form"] = form
            context["answerable"] = answerable
            return context
        before_deadline = not self.record["closed"]
        live = placement_request.status in (PlacementRequest.Status.DRAFT, PlacementRequest.Status.OPEN)
        if live and before_deadline and user.has_perm("placements.change_placementrequest"):
            form = self.invite_form()
            form.helper.form_action = reverse("placements:placementrequest-invite", args=[placement_request.pk])
            context["invite_form"] = form
        open_status = placement_request.status == PlacementRequest.Status.OPEN
        awardable = open_status and self.record["closed"] and self.record["ranked"]
        if awardable and user.has_perm("placements.award_placementrequest"):
            form = self.award_form()
            form.helper.form_action = reverse("placements:placementrequest-award", args=[placement_request.pk])
            context["award_form"] = form
        return context


class PlacementRequestInviteView(PlacementRequestMixin, ServiceFormMixin, FormView):
    permission_required = "placements.change_placementrequest"
    template_name = "placements/placementrequest_action.html"
    success_message = "The schools have been invited: each is told the deadline and the weights."

    def get_form(self, form_class=None):
        return self.invite_form(self.request.POST if self.request.method == "POST" else None)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.record, title="Invite schools to offer a place", **kwargs)

    def call_service(self, data):
        return services.placement_request_invite(
            request=self.placement_request, schools=data["schools"], user=self.request.user
        )


class PlacementRequestAwardView(PlacementRequestMixin, ServiceFormMixin, FormView):
    """Award the place to one offer; the individual placement agreement is created and shown."""

    permission_required = "placements.award_placementrequest"
    template_name = "placements/placementrequest_action.html"
    success_message = "The place has been awarded and every school told. This is the placement agreement."

    def get_form(self, form_class=None):
        return self.award_form(self.request.POST if self.request.method == "POST" else None)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.record, title="Award the place", show_ranking=True, **kwargs)

    def call_service(self, data):
        return services.placement_request_award(
            request=self.placement_request,
            offer=data["offer"],
            end_date=data["end_date"],
            reason=data["reason"],
            funding_source=data["funding_source"],
            user=self.request.user,
        )

    def success_url_for(self, result) -> str:
        return result.get_absolute_url()


class PlacementRequestCancelView(PlacementRequestMixin, ServiceFormMixin, FormView):
    permission_required = "placements.change_placementrequest"
    form_class = forms.RequestCancelForm
    template_name = "placements/placementrequest_action.html"
    success_message = "The request has been cancelled and the invited schools told."

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.record, title="Cancel the request", **kwargs)

    def call_service(self, data):
        return services.placement_request_cancel(
            request=self.placement_request, reason=data["reason"], user=self.request.user
        )


class InvitationMixin(RecordMixin, ServiceFormMixin):
    """A school answering its own invitation (anyone else's is not there)."""

    view_permission = "placements.view_invitation"
    template_name = "placements/invitation_form.html"
    title = ""

    def get_record(self) -> Invitation:
        return selectors.invitation_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        invitation = self.record
        can_respond = invitation.status == Invitation.Status.INVITED and invitation.request.is_open_for_offers()
        return super().get_context_data(
            invitation=invitation,
            placement_request=invitation.request,
            can_respond=can_respond,
            title=self.title,
            **kwargs,
        )

    def success_url_for(self, result) -> str:
        return self.record.request.get_absolute_url()


class OfferCreateView(InvitationMixin, FormView):
    permission_required = "placements.add_offer"
    form_class = forms.OfferForm
    title = "Offer a place"
    success_message = "Your offer has been sent. You will be told the outcome after offers close."

    def get_initial(self):
        return {"start_date": self.record.request.required_start}

    def call_service(self, data):
        return services.offer_submit(invitation=self.record, user=self.request.user, **data)


class InvitationDeclineView(InvitationMixin, FormView):
    permission_required = "placements.change_invitation"
    form_class = forms.DeclineForm
    title = "Decline the invitation"
    success_message = "You have declined the invitation."

    def call_service(self, data):
        return services.invitation_decline(invitation=self.record, user=self.request.user, reason=data["reason"])


class OfferScoreView(RecordMixin, ServiceFormMixin, FormView):
    """An officer scores one offer's quality, with the reason, once offers have closed."""

    view_permission = "placements.view_offer"
    permission_required = "placements.award_placementrequest"
    form_class = forms.ScoreForm
    template_name = "placements/offer_score.html"
    success_message = "The score has been saved."

    def get_record(self) -> Offer:
        return selectors.offer_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_initial(self):
        return {"quality_score": self.record.quality_score, "reason": self.record.quality_reason}

    def get_context_data(self, **kwargs):
        return super().get_context_data(offer=self.record, placement_request=self.record.request, **kwargs)

    def call_service(self, data):
        return services.offer_score(
            offer=self.record, quality_score=data["quality_score"], reason=data["reason"], user=self.request.user
        )

    def success_url_for(self, result) -> str:
        return self.record.request.get_absolute_url()


class SchoolPlacementListView(ListPageView):
    permission_required = "placements.view_schoolplacement"
    template_name = "placements/schoolplacement_list.html"
    filterset_class = SchoolPlacementFilter
    context_object_name = "school_placements"
    download_name = "school-placements.csv"

    def get_queryset(self):
        return selectors.school_placement_list(user=self.request.user)

    def csv(self, placements):
        user = self.request.user
        header = [
            "Placement",
            "Child",
            "School",
            "Day or residential",
            "Weeks a year",
            "Start",
            "End",
            "Status",
            "Education (£ a year)",
            "Care (£ a year)",
            "Therapy (£ a year)",
            "Other (£ a year)",
            "Annual fee agreed (£)",
            "Request",
            "Block contract",
            "Committed (£)",
        ]
        rows = (
            [
                p.pk,
                child_label_text(user, p.child),
                p.school,
                p.get_setting_display(),
                p.weeks,
                p.start_date,
                p.end_date,
                p.get_status_display(),
                p.education_fee,
                p.care_fee,
                p.therapy_fee,
                p.other_fee,
                p.annual_fee,
                p.request.reference if p.request_id else "",
                p.block_contract.reference if p.block_contract_id else "",
                p.committed,
            ]
            for p in placements
        )
        return header, rows


class SchoolPlacementDetailView(RecordMixin, TemplateView):
    """An individual placement agreement: terms, fee by element, the fee in force today, uplifts, committed
    cost per financial year, block contract and status history."""

    view_permission = permission_required = "placements.view_schoolplacement"
    template_name = "placements/schoolplacement_detail.html"

    def get_record(self) -> dict:
        return selectors.school_placement_page(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(**self.record, **kwargs)


class SchoolPlacementCreateView(LoginRequiredMixin, PermissionRequiredMixin, ServiceFormMixin, FormView):
    """An agreement made outside a request, for example a place in a block contract."""

    permission_required = "placements.add_schoolplacement"
    form_class = forms.SchoolPlacementForm
    template_name = "placements/schoolplacement_form.html"
    success_message = "The placement agreement has been recorded."

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **selectors.school_placement_form_choices(user=self.request.user)}

    def get_initial(self):
        child = self.request.GET.get("child", "")  # from the child's page: an id, never the reference
        return {"child": int(child)} if child.isdigit() else {}

    def call_service(self, data):
        return services.school_placement_create(user=self.request.user, **data)


class SchoolPlacementActionView(RecordMixin, ServiceFormMixin, FormView):
    view_permission = "placements.view_schoolplacement"
    template_name = "placements/schoolplacement_action.html"
    title = ""

    def get_record(self) -> SchoolPlacement:
        return selectors.school_placement_summary_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(placement=self.record, title=self.title, **kwargs)

    def success_url_for(self, result) -> str:
        return self.record.get_absolute_url()


class FeeUpliftCreateView(SchoolPlacementActionView):
    permission_required = "placements.add_feeuplift"
    form_class = forms.FeeUpliftForm
    title = "Record a fee uplift"
    success_message = "The uplift has been recorded and the committed cost recalculated."

    def call_service(self, data):
        return services.school_placement_uplift(placement=self.record, user=self.request.user, **data)


class SchoolPlacementEndView(SchoolPlacementActionView):
    permission_required = "placements.change_schoolplacement"
    form_class = forms.SchoolPlacementEndForm
    title = "End the placement"
    success_message = "The placement has ended and the committed cost recalculated."

    def get_initial(self):
        return {"end_date": self.record.end_date}

    def call_service(self, data):
        return services.school_placement_end(placement=self.record, user=self.request.user, **data)


class BlockContractListView(LoginRequiredMixin, PermissionRequiredMixin, ListView):
    """Block contracts: places bought, places used today, fee and term (a school sees its own)."""

    permission_required = "placements.view_blockcontract"
    template_name = "placements/blockcontract_list.html"
    context_object_name = "block_contracts"
    paginate_by = 50

    def get_queryset(self):
        return selectors.block_contract_list(user=self.request.user)


class BlockContractCreateView(LoginRequiredMixin, PermissionRequiredMixin, ServiceFormMixin, FormView):
    permission_required = "placements.add_blockcontract"
    form_class = forms.BlockContractForm
    template_name = "placements/blockcontract_form.html"
    success_message = "The block contract has been recorded."

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "schools": selectors.school_list()}

    def call_service(self, data):
        return services.block_contract_create(user=self.request.user, **data)

    def success_url_for(self, result) -> str:
        return reverse("placements:blockcontract-list")


class NmissHistoryView(LoginRequiredMixin, PermissionRequiredMixin, ServiceFormMixin, FormView):
    """NMISS spend by financial year before the service held placements. Officers enter or correct a year
    (saving a year that is there already replaces its figure); commissioners read."""

    permission_required = "placements.view_nmisshistoricalspend"
    form_class = forms.NmissHistoryForm
    template_name = "placements/nmisshistory_list.html"
    success_message = "The year's spend has been saved."

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("placements.change_nmisshistoricalspend"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(years=selectors.nmiss_history_list(user=self.request.user), **kwargs)

    def call_service(self, data):
        return services.nmiss_history_set(user=self.request.user, **data)

    def success_url_for(self, result) -> str:
        return reverse("placements:nmisshistory-list")


# Home panels and sections other apps show -------------------------------------------------------


def officer_panel_context(request) -> dict:
    return selectors.officer_home_counts(user=request.user)


def provider_panel_context(request) -> dict:
    return selectors.provider_home(user=request.user)


def provider_disputes_context(request, provider) -> dict:
    """The provider page's dispute section (contributed to the providers app's page)."""
    return {"provider": provider, "disputes": selectors.provider_dispute_rate(provider=provider)}


class ChildSubjectAccessView(ChildMixin, View):
    """Everything held about one child, for a subject access request: JSON or a tagged PDF, as a download.

    Officers only (placements.export_child_record); every export is written to the audit trail."""

    permission_required = "placements.export_child_record"
    FORMATS = ("json", "pdf")

    def get(self, request, *args, **kwargs):
        fmt = kwargs["fmt"]
        if fmt not in self.FORMATS:
            raise Http404
        child = self.record
        record_access(user=request.user, instance=child, what=f"subject access export ({fmt})")
        export = selectors.child_subject_access(child=child)
        name = f"subject-access-{child.pseudonym}"
        if fmt == "json":
            body = json.dumps(export, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()
            response = HttpResponse(body, content_type="application/json; charset=utf-8")
        else:
            from weasyprint import HTML

            html = render_to_string(
                "placements/subject_access_pdf.html", {"sections": _sections(export), "export": export}
            )
            response = HttpResponse(HTML(string=html).write_pdf(pdf_variant="pdf/ua-1"), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        response["Cache-Control"] = "no-store"
        return response


def _label(key: str) -> str:
    return key.replace("__", " ").replace("_", " ").capitalize()


def _sections(export: dict) -> list[dict]:
    """The export as titled tables for the PDF: the child's own details first, then each kind of record."""
    sections = []
    for key, value in export.items():
        if key == "generated_at":
            continue
        rows = [value] if isinstance(value, dict) else value
        columns = list(rows[0]) if rows else []
        sections.append(
            {
                "title": _label(key),
                "columns": [_label(c) for c in columns],
                "rows": [["" if row[c] is None else row[c] for c in columns] for row in rows],
            }
        )
    return sections
