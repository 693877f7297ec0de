"""Core pages: home per role, account, notifications, API tokens, reference data, static pages."""

import logging
import sys

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import FormView, ListView, TemplateView
from django_filters.views import FilterView

from .audit import change_text
from .downloads import csv_rows
from .filters import AuditFilter
from .forms import ApiTokenForm, TherapyTypeForm
from .middleware import database_unavailable_response
from .models import ApiToken, TherapyType
from .panels import panels_for
from .roles import Role
from .selectors import api_token_list, audit_entry_list, notification_list, therapy_type_list
from .services import (
    api_token_issue,
    api_token_revoke,
    notification_mark_read,
    therapy_type_create,
    therapy_type_set_active,
)

logger = logging.getLogger(__name__)

HOME_TEMPLATES = {
    Role.OFFICER: "core/home_officer.html",
    Role.COMMISSIONER: "core/home_commissioner.html",
    Role.PROVIDER: "core/home_provider.html",
    Role.ADMINISTRATOR: "core/home_administrator.html",
}


class HomeView(TemplateView):
    """A start page for visitors; a home page per role for people signed in."""

    def get_template_names(self) -> list[str]:
        if not self.request.user.is_authenticated:
            return ["core/start.html"]
        return [HOME_TEMPLATES.get(self.request.user.role, "core/home_other.html")]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.is_authenticated:
            context["panels"] = panels_for(self.request)
        return context


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "core/account.html"


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "core/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 50

    def get_queryset(self):
        return notification_list(user=self.request.user)


class NotificationMarkReadView(LoginRequiredMixin, View):
    def post(self, request):
        count = notification_mark_read(user=request.user)
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
        return redirect("core:notification-list")


class ApiTokenListView(LoginRequiredMixin, PermissionRequiredMixin, ListView):
    permission_required = "core.manage_api_tokens"
    template_name = "core/apitoken_list.html"
    context_object_name = "tokens"
    paginate_by = 50

    def get_queryset(self):
        return api_token_list()


class ApiTokenCreateView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """Issue a token. The key is shown once, on the response to the POST, and never again."""

    permission_required = "core.manage_api_tokens"
    template_name = "core/apitoken_form.html"
    form_class = ApiTokenForm

    def form_valid(self, form):
        try:
            token, key = api_token_issue(created_by=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        response = render(self.request, "core/apitoken_created.html", {"token": token, "key": key})
        add_never_cache_headers(response)
        return response


class ApiTokenRevokeView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "core.manage_api_tokens"
    template_name = "core/apitoken_revoke.html"

    @cached_property
    def token(self) -> ApiToken:
        return get_object_or_404(api_token_list(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(token=self.token, **kwargs)

    def post(self, request, pk: int):
        api_token_revoke(token=self.token, revoked_by=request.user)
        messages.success(request, f"The token ‘{self.token.name}’ has been revoked. It no longer works.")
        return redirect("core:apitoken-list")


class TherapyTypeListView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """The therapy types officers buy; officers add new ones and retire old ones here."""

    permission_required = "core.manage_reference_data"
    template_name = "core/therapytype_list.html"
    form_class = TherapyTypeForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(therapy_types=therapy_type_list(), **kwargs)

    def form_valid(self, form):
        try:
            therapy = therapy_type_create(name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, f"‘{therapy.name}’ has been added.")
        return redirect("core:therapytype-list")


class TherapyTypeToggleView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "core.manage_reference_data"

    def post(self, request, pk: int):
        therapy = get_object_or_404(TherapyType, pk=pk)
        therapy_type_set_active(therapy=therapy, active=not therapy.is_active)
        state = "can be bought again" if therapy.is_active else "has been retired"
        messages.success(request, f"‘{therapy.name}’ {state}.")
        return redirect(reverse("core:therapytype-list"))


class StaticPageView(TemplateView):
    """Cookies, privacy and accessibility statements: public, no personal data."""


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"message": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    """The 500 handler; a lost database (at any layer: sessions, auth, views) is a 503 instead."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        logger.error("Database unavailable: %s", error.__class__.__name__)
        return database_unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"message": "Sorry, there is a problem with the service."}, status=500)
    return render(request, "500.html", status=500)


class AuditListView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    """Officers search every change and every view of a child's record. Read-only by design."""

    permission_required = "core.view_audit"
    template_name = "core/audit_list.html"
    filterset_class = AuditFilter
    context_object_name = "entries"
    paginate_by = 50

    def get_queryset(self):
        return audit_entry_list()


class AuditExportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The filtered audit trail as CSV (the same filters as the page)."""

    permission_required = "core.view_audit"

    def get(self, request):
        entries = AuditFilter(request.GET, queryset=audit_entry_list()).qs
        response = StreamingHttpResponse(
            csv_rows(
                ["When", "Person", "Action", "Kind of record", "Record", "Description", "Changes", "IP address"],
                (
                    [
                        timezone.localtime(e.timestamp).isoformat(timespec="seconds"),
                        e.actor_email or (e.actor.email if e.actor else "system"),
                        e.get_action_display(),
                        e.content_type.name if e.content_type else "",
                        e.object_pk,
                        e.object_repr,
                        change_text(e.changes) if e.changes else (e.additional_data or ""),
                        e.remote_addr or "",
                    ]
                    for e in entries.iterator(chunk_size=2000)
                ),
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        return response
