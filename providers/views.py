"""Provider pages: joining the QPL (the questionnaire), the provider portal, officer review, the directory."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from core.downloads import csv_rows
from core.selectors import transition_list_for

from . import forms, services
from .filters import DirectoryFilter, ReviewQueueFilter
from .models import (
    ComplianceDocument,
    InsuranceMinimums,
    InsurancePolicy,
    Membership,
    Practitioner,
    Provider,
    ProviderList,
    SelectionQuestionnaire,
)
from .selectors import compliance_state, directory, provider_detail, questionnaire_sections, review_queue


def qpl() -> ProviderList:
    return ProviderList.objects.filter(kind=ProviderList.Kind.QPL).order_by("pk").first()


class JoinView(TemplateView):
    """Public start page: who can join the QPL and what they will need."""

    template_name = "providers/join.html"


# The provider portal --------------------------------------------------------------------------------


class PortalMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "providers.use_provider_portal"

    @cached_property
    def provider(self) -> Provider:
        if not self.request.user.provider_id:
            raise Http404
        return self.request.user.provider


class PortalView(PortalMixin, TemplateView):
    """Where the provider stands on each list, and what to do next."""

    template_name = "providers/portal.html"

    def get_context_data(self, **kwargs):
        provider = self.provider
        memberships = list(provider.memberships.select_related("provider_list").order_by("provider_list__name"))
        questionnaires = list(provider.questionnaires.select_related("provider_list").order_by("-created_at")[:10])
        lists = ProviderList.objects.order_by("kind", "name")
        if not provider.is_school:
            lists = lists.filter(kind=ProviderList.Kind.QPL)  # the DPS is for special schools
        live = {m.provider_list_id for m in memberships if m.status in Membership.LIVE}
        open_sq = {q.provider_list_id: q for q in questionnaires if q.status in SelectionQuestionnaire.OPEN}
        documents = provider.documents.select_related("practitioner").order_by("-uploaded_at")[:20]
        return super().get_context_data(
            provider=provider,
            memberships=memberships,
            questionnaires=questionnaires,
            lists=[(pl, pl.pk in live, open_sq.get(pl.pk)) for pl in lists],
            documents=documents,
            expired=services.expired_mandatory_documents(provider, timezone.localdate()),
            **kwargs,
        )


class QuestionnaireStartView(PortalMixin, View):
    def post(self, request, list_pk: int):
        provider_list = get_object_or_404(ProviderList, pk=list_pk)
        try:
            sq = services.questionnaire_start(provider=self.provider, provider_list=provider_list, user=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("providers:portal")
        return redirect("providers:sq-tasks", sq.pk)


class QuestionnaireMixin(PortalMixin):
    """A page of one of the provider's own applications (404 for anyone else's)."""

    editable_only = True

    @cached_property
    def sq(self) -> SelectionQuestionnaire:
        return get_object_or_404(
            SelectionQuestionnaire.objects.visible_to(self.request.user).select_related("provider_list"),
            pk=self.kwargs["pk"],
            provider=self.provider,
        )

    def get(self, request, *args, **kwargs):
        if self.editable_only and not self.sq.is_editable:
            messages.info(request, f"Application {self.sq.reference} has been submitted, so it cannot be changed now.")
            return redirect("providers:sq-tasks", self.sq.pk)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.editable_only and not self.sq.is_editable:
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(sq=self.sq, provider=self.provider, **kwargs)

    def next_url(self) -> str:
        return reverse("providers:sq-tasks", args=[self.sq.pk])


class QuestionnaireTasksView(QuestionnaireMixin, TemplateView):
    template_name = "providers/sq_tasks.html"
    editable_only = False

    def get_context_data(self, **kwargs):
        sections = questionnaire_sections(self.sq)
        return super().get_context_data(sections=sections, completed=sum(s.complete for s in sections), **kwargs)


class SectionFormView(QuestionnaireMixin, FormView):
    """One topic of the questionnaire: save and return to the task list (save and come back later)."""

    title = ""
    template_name = "providers/sq_section_form.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, **kwargs)

    def form_valid(self, form):
        try:
            self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.title}: saved.")
        return redirect(self.next_url())


class OrganisationView(SectionFormView):
    form_class = forms.OrganisationForm
    title = "Your organisation"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": Provider.objects.get(pk=self.provider.pk)}

    def save(self, form):
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.provider_update(provider=self.provider, data=data)


class ServicesView(SectionFormView):
    form_class = forms.ServicesForm
    title = "Services you offer"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": Provider.objects.get(pk=self.provider.pk)}

    def save(self, form):
        data = {k: form.cleaned_data[k] for k in ("settings_offered", "age_from", "age_to")}
        services.provider_update(
            provider=self.provider,
            data=data,
            therapy_types=form.cleaned_data["therapy_types"],
            districts=form.cleaned_data["districts"],
        )


class SafeguardingView(SectionFormView):
    form_class = forms.SafeguardingForm
    title = "Safeguarding"
    template_name = "providers/sq_safeguarding.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": Provider.objects.get(pk=self.provider.pk)}

    def save(self, form):
        services.provider_update(provider=self.provider, data=dict(form.cleaned_data))


class SchoolView(SectionFormView):
    form_class = forms.SchoolForm
    title = "Your school"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": Provider.objects.get(pk=self.provider.pk)}

    def save(self, form):
        services.school_answers_save(provider=self.provider, data=dict(form.cleaned_data))


class FeesView(QuestionnaireMixin, FormView):
    """Indicative annual fees by band, in education, care and therapy elements."""

    form_class = forms.FeeBandForm
    template_name = "providers/sq_fees.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(bands=self.provider.fee_bands.all(), **kwargs)

    def form_valid(self, form):
        try:
            services.fee_band_add(provider=self.provider, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "The fee band has been added.")
        return redirect(self.request.path)


class PractitionerListView(QuestionnaireMixin, TemplateView):
    template_name = "providers/sq_practitioners.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            practitioners=Practitioner.objects.filter(provider=self.provider, is_active=True), **kwargs
        )


class PractitionerFormView(SectionFormView):
    form_class = forms.PractitionerForm
    title = "Practitioner"

    @cached_property
    def practitioner(self) -> Practitioner | None:
        if "pp" not in self.kwargs:
            return None
        return get_object_or_404(Practitioner, pk=self.kwargs["pp"], provider=self.provider, is_active=True)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.practitioner}

    def save(self, form):
        services.practitioner_save(provider=self.provider, data=dict(form.cleaned_data), practitioner=self.practitioner)

    def next_url(self):
        return reverse("providers:sq-practitioners", args=[self.sq.pk])


class PractitionerRemoveView(QuestionnaireMixin, View):
    def post(self, request, pk: int, pp: int):
        if not self.sq.is_editable:
            raise PermissionDenied
        practitioner = get_object_or_404(Practitioner, pk=pp, provider=self.provider)
        services.practitioner_remove(practitioner=practitioner)
        messages.success(request, f"{practitioner} has been removed.")
        return redirect("providers:sq-practitioners", self.sq.pk)


class InsuranceListView(QuestionnaireMixin, TemplateView):
    template_name = "providers/sq_insurance.html"

    def get_context_data(self, **kwargs):
        policies = {p.kind: p for p in self.provider.insurance_policies.all()}
        minimums = InsuranceMinimums.current()
        kinds = [
            (kind, label, policies.get(kind), minimums.minimum_for(kind))
            for kind, label in InsurancePolicy.Kind.choices
        ]
        return super().get_context_data(kinds=kinds, **kwargs)


class InsuranceFormView(SectionFormView):
    form_class = forms.InsuranceForm

    @property
    def title(self):
        return f"{InsurancePolicy.Kind(self.kwargs['kind']).label} insurance"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["kind"] not in InsurancePolicy.Kind.values:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        policy = InsurancePolicy.objects.filter(provider=self.provider, kind=self.kwargs["kind"]).first()
        if not policy:
            return {}
        return {k: getattr(policy, k) for k in ("insurer", "policy_number", "cover_amount", "expires_on")}

    def get_context_data(self, **kwargs):
        minimum = InsuranceMinimums.current().minimum_for(self.kwargs["kind"])
        return super().get_context_data(hint=f"The council requires cover of at least £{minimum:,.0f}.", **kwargs)

    def save(self, form):
        services.insurance_save(provider=self.provider, kind=self.kwargs["kind"], **form.cleaned_data)

    def next_url(self):
        return reverse("providers:sq-insurance", args=[self.sq.pk])


class DocumentsMixin:
    """Upload evidence and see what has been uploaded (used in the questionnaire and the portal)."""

    template_name = "providers/documents.html"
    form_class = forms.DocumentUploadForm
    title = "Evidence"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "provider": self.provider}

    def get_context_data(self, **kwargs):
        documents = self.provider.documents.select_related("practitioner").order_by("kind", "-uploaded_at")
        return super().get_context_data(documents=documents, **kwargs)

    def save(self, form):
        services.document_upload(
            provider=self.provider,
            user=self.request.user,
            upload=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            number=form.cleaned_data["number"],
            expires_on=form.cleaned_data["expires_on"],
            practitioner=form.cleaned_data["practitioner"],
        )

    def form_valid(self, form):
        try:
            self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "The document has been uploaded. An officer will check it.")
        return redirect(self.request.path)


class EvidenceView(DocumentsMixin, QuestionnaireMixin, FormView):
    pass


class CapacityMixin:
    template_name = "providers/capacity.html"
    form_class = forms.CapacityForm
    title = "Capacity"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "provider": self.provider}

    def get_context_data(self, **kwargs):
        declarations = self.provider.capacity_declarations.select_related("therapy_type", "district").order_by(
            "therapy_type__name", "district__name", "-from_date"
        )
        return super().get_context_data(declarations=declarations, **kwargs)

    def form_valid(self, form):
        try:
            services.capacity_declare(provider=self.provider, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Your capacity has been recorded.")
        return redirect(self.request.path)


class CapacityView(CapacityMixin, QuestionnaireMixin, FormView):
    pass


class PricingMixin:
    template_name = "providers/pricing.html"
    form_class = forms.PricingForm
    title = "Indicative prices"

    def current_rates(self) -> dict:
        schedule = self.provider.pricing_schedules.order_by("-effective_from", "-version").first()
        if not schedule:
            return {}
        return {(line.therapy_type_id, line.unit): line.rate for line in schedule.lines.all()}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "provider": self.provider, "current": self.current_rates()}

    def get_context_data(self, **kwargs):
        schedules = self.provider.pricing_schedules.prefetch_related("lines__therapy_type").order_by("-effective_from")
        return super().get_context_data(schedules=schedules, **kwargs)

    def form_valid(self, form):
        try:
            schedule = services.pricing_submit(
                provider=self.provider,
                user=self.request.user,
                effective_from=form.cleaned_data["effective_from"],
                rates=form.rates(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(
            self.request, f"Prices version {schedule.version} saved, from {schedule.effective_from:%-d %B %Y}."
        )
        return redirect(self.success_url_after_save())


class PricingView(PricingMixin, QuestionnaireMixin, FormView):
    def success_url_after_save(self):
        return self.next_url()


class LotsView(SectionFormView):
    form_class = forms.LotsForm
    title = "Lots"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "provider_list": self.sq.provider_list}

    def get_initial(self):
        return {"lots": list(self.sq.lots.values_list("pk", flat=True))}

    def save(self, form):
        services.questionnaire_choose_lots(sq=self.sq, lots=form.cleaned_data["lots"])


class CheckAnswersView(QuestionnaireMixin, TemplateView):
    template_name = "providers/sq_check.html"

    def get_context_data(self, **kwargs):
        sections = questionnaire_sections(self.sq)
        return super().get_context_data(sections=sections, ready=all(s.complete for s in sections), **kwargs)


class DeclarationView(SectionFormView):
    form_class = forms.DeclarationForm
    title = "Declarations"
    template_name = "providers/sq_declaration.html"

    def save(self, form):
        services.questionnaire_submit(sq=self.sq, user=self.request.user, declarations=form.cleaned_data)

    def form_valid(self, form):
        try:
            self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        return redirect("providers:sq-confirmation", self.sq.pk)


class ConfirmationView(QuestionnaireMixin, TemplateView):
    template_name = "providers/sq_confirmation.html"
    editable_only = False


class PortalPricingView(PortalMixin, PricingMixin, FormView):
    def success_url_after_save(self):
        return reverse("providers:portal-pricing")


class PortalCapacityView(PortalMixin, CapacityMixin, FormView):
    pass


class PortalDocumentsView(PortalMixin, DocumentsMixin, FormView):
    pass


class MembershipLeaveView(PortalMixin, FormView):
    form_class = forms.LeaveForm
    template_name = "providers/leave.html"

    @cached_property
    def membership(self) -> Membership:
        return get_object_or_404(
            Membership.objects.select_related("provider_list"), pk=self.kwargs["pk"], provider=self.provider
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.membership, **kwargs)

    def form_valid(self, form):
        try:
            services.membership_leave(
                membership=self.membership,
                user=self.request.user,
                on=form.cleaned_data["left_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"You will leave the {self.membership.provider_list.name} after {form.cleaned_data['left_on']:%-d %B %Y}.",
        )
        return redirect("providers:portal")


# Evidence files -------------------------------------------------------------------------------------


class DocumentDownloadView(LoginRequiredMixin, View):
    """Evidence is served only to its provider's users and to officers, always as a download."""

    def get(self, request, pk: int):
        document = get_object_or_404(ComplianceDocument.objects.visible_to(request.user), pk=pk)
        own = request.user.provider_id == document.provider_id
        if not own and not request.user.has_perm("providers.verify_compliancedocument"):
            raise Http404  # commissioners see that evidence exists, not the files
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=f"{document.get_kind_display()} {document.pk}.{document.file.name.rsplit('.', 1)[-1]}",
        )
        response["Content-Type"] = document.content_type
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class DocumentVerifyView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "providers.verify_compliancedocument"

    def post(self, request, pk: int):
        document = get_object_or_404(ComplianceDocument.objects.visible_to(request.user), pk=pk)
        try:
            services.document_verify(document=document, officer=request.user)
            messages.success(request, f"{document.get_kind_display()} verified.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(request.POST.get("next") or reverse("providers:provider-detail", args=[document.provider_id]))


class DocumentRejectView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "providers.verify_compliancedocument"
    form_class = forms.RejectDocumentForm
    template_name = "providers/document_reject.html"

    @cached_property
    def document(self) -> ComplianceDocument:
        return get_object_or_404(
            ComplianceDocument.objects.visible_to(self.request.user).select_related("provider"), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(document=self.document, **kwargs)

    def form_valid(self, form):
        services.document_reject(document=self.document, officer=self.request.user, reason=form.cleaned_data["reason"])
        messages.success(self.request, f"{self.document.get_kind_display()} rejected. The provider has been told why.")
        return redirect("providers:provider-detail", self.document.provider_id)


# Officer review -------------------------------------------------------------------------------------


class ReviewQueueView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    permission_required = "providers.view_selectionquestionnaire"
    template_name = "providers/sq_review_list.html"
    filterset_class = ReviewQueueFilter
    context_object_name = "questionnaires"
    paginate_by = 50

    def get_queryset(self):
        return review_queue(user=self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if not self.request.GET:
            kwargs["data"] = {"status": ["submitted", "under_review", "clarification_requested"]}
        return kwargs


class ReviewView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """Every answer and piece of evidence, per-document checks, and the decision."""

    permission_required = "providers.view_selectionquestionnaire"
    template_name = "providers/sq_review.html"
    form_class = forms.DecisionForm

    @cached_property
    def sq(self) -> SelectionQuestionnaire:
        return get_object_or_404(
            SelectionQuestionnaire.objects.visible_to(self.request.user).select_related(
                "provider", "provider_list", "decided_by"
            ),
            pk=self.kwargs["pk"],
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "sq": self.sq}

    def get_context_data(self, **kwargs):
        sections = questionnaire_sections(self.sq)
        documents = self.sq.provider.documents.select_related("practitioner", "verified_by").order_by(
            "kind", "-uploaded_at"
        )
        return super().get_context_data(
            sq=self.sq,
            snapshot=self.sq.snapshot,
            sections=sections,
            documents=documents,
            history=transition_list_for(self.sq),
            can_verify=self.request.user.has_perm("providers.verify_compliancedocument"),
            can_decide=self.request.user.has_perm("providers.review_selectionquestionnaire"),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("providers.review_selectionquestionnaire"):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        if data["expected_status"] != self.sq.status:
            form.add_error(
                None, "Someone else has changed this application since you opened it. Check its status below."
            )
            return self.form_invalid(form)
        try:
            if data["action"] == "approve":
                services.questionnaire_approve(
                    sq=self.sq, officer=self.request.user, lots=data["lots"] or None, reason=data["reason"]
                )
                messages.success(
                    self.request, f"{self.sq.provider} has been admitted to the {self.sq.provider_list.name}."
                )
            elif data["action"] == "reject":
                services.questionnaire_reject(sq=self.sq, officer=self.request.user, reason=data["reason"])
                messages.success(self.request, f"Application {self.sq.reference} has been rejected.")
            else:
                services.questionnaire_request_clarification(
                    sq=self.sq, officer=self.request.user, message=data["reason"]
                )
                messages.success(
                    self.request, f"The provider has been asked to clarify application {self.sq.reference}."
                )
        except ValidationError as exc:
            form.add_error(
                "reason"
                if "reason" in getattr(exc, "message_dict", {}) or "message" in getattr(exc, "message_dict", {})
                else None,
                " ".join(exc.messages),
            )
            return self.form_invalid(form)
        return redirect("providers:sq-review", self.sq.pk)


class ReviewStartView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "providers.review_selectionquestionnaire"

    def post(self, request, pk: int):
        sq = get_object_or_404(SelectionQuestionnaire.objects.visible_to(request.user), pk=pk)
        try:
            services.questionnaire_start_review(sq=sq, officer=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("providers:sq-review", pk)


# Directory and provider pages ------------------------------------------------------------------------


class DirectoryView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    """Admitted QPL providers: therapy, district, capacity, price in force, compliance; sortable; CSV."""

    permission_required = "providers.view_provider_directory"
    template_name = "providers/provider_list.html"
    filterset_class = DirectoryFilter
    context_object_name = "providers"
    paginate_by = 50

    def get_queryset(self):
        form = DirectoryFilter(self.request.GET).form
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        return directory(user=self.request.user, therapy_type=data.get("therapy_type"), district=data.get("district"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today, days = timezone.localdate(), InsuranceMinimums.current().expiry_warning_days
        for provider in context["providers"]:
            provider.compliance = compliance_state(provider, today, days)
        return context

    def render_to_response(self, context, **kwargs):
        if self.request.GET.get("download") == "csv":
            return self.csv(context["filter"].qs)
        return super().render_to_response(context, **kwargs)

    def csv(self, providers):
        today, days = timezone.localdate(), InsuranceMinimums.current().expiry_warning_days
        rows = (
            [
                p.legal_name,
                p.trading_name,
                p.get_kind_display(),
                "; ".join(t.name for t in p.therapy_types.all()),
                "; ".join(d.name for d in p.districts.all()),
                p.capacity_hours,
                p.rate if p.rate is not None else "",
                compliance_state(p, today, days),
                p.contact_email,
                "Yes" if p.is_sme else "No",
                "Yes" if p.is_vcse else "No",
            ]
            for p in providers
        )
        header = [
            "Legal name",
            "Trading name",
            "Kind",
            "Therapies",
            "Districts",
            "Capacity (hours a week)",
            "Hourly rate in force (£)",
            "Compliance",
            "Email",
            "SME",
            "VCSE",
        ]
        response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="qpl-directory.csv"'
        return response


class ProviderDetailView(LoginRequiredMixin, TemplateView):
    template_name = "providers/provider_detail.html"

    def get_context_data(self, **kwargs):
        try:
            provider = provider_detail(user=self.request.user, pk=self.kwargs["pk"])
        except Provider.DoesNotExist as exc:
            raise Http404 from exc
        return super().get_context_data(
            provider=provider,
            expired=services.expired_mandatory_documents(provider, timezone.localdate()),
            can_verify=self.request.user.has_perm("providers.verify_compliancedocument"),
            legacy_form=forms.LegacyArrangementForm(initial={"legacy_arrangement": provider.legacy_arrangement}),
            **kwargs,
        )


class LegacyArrangementView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "providers.change_provider"

    def post(self, request, pk: int):
        provider = get_object_or_404(Provider.objects.visible_to(request.user), pk=pk)
        form = forms.LegacyArrangementForm(request.POST)
        if form.is_valid():
            services.provider_update(
                provider=provider, data={"legacy_arrangement": form.cleaned_data["legacy_arrangement"]}
            )
            messages.success(request, "The arrangement has been saved.")
        return redirect("providers:provider-detail", pk)


class ImportView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """Import an existing provider list (preferred and non-preferred providers) from CSV, all or nothing."""

    permission_required = "providers.add_provider"
    form_class = forms.ImportForm
    template_name = "providers/import.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("template"):
            response = HttpResponse(",".join(services.IMPORT_COLUMNS) + "\r\n", content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="provider-import-template.csv"'
            return response
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            form.add_error("file", "The file must be smaller than 5MB.")
            return self.form_invalid(form)
        try:
            created = services.provider_import_csv(content=upload.read())
        except ValidationError as exc:
            return render(self.request, self.template_name, {"form": form, "import_errors": exc.messages}, status=400)
        messages.success(self.request, f"{len(created)} providers imported.")
        return redirect("providers:provider-list-all")


class ProviderAllListView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    """Every provider on the system (not only the QPL): officers use it after an import."""

    permission_required = "providers.view_provider"
    template_name = "providers/provider_all_list.html"
    context_object_name = "providers"
    paginate_by = 50

    def get_filterset_class(self):
        from .filters import ProviderFilter

        return ProviderFilter

    def get_queryset(self):
        return (
            Provider.objects.visible_to(self.request.user)
            .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("provider_list")))
            .order_by("legal_name")
        )


class InsuranceMinimumsView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "providers.change_insuranceminimums"
    form_class = forms.InsuranceMinimumsForm
    template_name = "providers/insurance_minimums.html"

    def get_initial(self):
        m = InsuranceMinimums.current()
        return {
            "public_liability": m.public_liability,
            "professional_indemnity": m.professional_indemnity,
            "employers_liability": m.employers_liability,
            "expiry_warning_days": m.expiry_warning_days,
        }

    def form_valid(self, form):
        services.insurance_minimums_set(**form.cleaned_data)
        messages.success(self.request, "Minimum insurance cover saved.")
        return redirect("providers:insurance-minimums")
