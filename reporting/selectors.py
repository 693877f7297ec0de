"""Reads for report runs."""

from django.db.models import QuerySet

from core.models import User

from .models import ReportRun


def report_run_list(*, user: User) -> QuerySet[ReportRun]:
    """Runs this person may see, newest first, with who asked preloaded (the result is not loaded)."""
    return ReportRun.objects.visible_to(user).select_related("requested_by").defer("result")


def report_run_get(*, user: User, pk: int) -> ReportRun:
    return ReportRun.objects.visible_to(user).select_related("requested_by").prefetch_related("files").get(pk=pk)
