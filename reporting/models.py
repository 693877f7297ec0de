"""Reports as background jobs: a run is a row with a status, filled in by a Celery task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone


class ReportRunQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReportRunQuerySet:
        """Council staff who run reports see past runs; runs that name children only to those who may see them.

        Provider users never see council-wide reports.
        """
        if not user.has_perm("reporting.view_reportrun"):
            return self.none()
        if user.has_perm("placements.view_child_identity"):
            return self
        return self.filter(includes_child_identity=False)


class ReportRun(models.Model):
    """One run of one report with its parameters, progress, result table and files."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=40, db_index=True)
    parameters = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_runs",
        help_text="Blank for scheduled runs.",
    )
    scheduled = models.BooleanField(default=False)
    includes_child_identity = models.BooleanField(
        default=False, help_text="The result names children, so only people who may see children may open it."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = ReportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "started_at"], name="reporting_run_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="reporting_reportrun_progress_percent"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(finished_at__gte=F("started_at")),
                name="reporting_reportrun_finished_after_started",
            ),
        ]

    def __str__(self) -> str:
        return f"Report run #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("reporting:reportrun-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class ReportFile(models.Model):
    """A generated download of a run (CSV, XLSX, PDF, JSON), kept in private storage."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        PDF = "pdf", "PDF"
        JSON = "json", "JSON"

    run = models.ForeignKey(ReportRun, on_delete=models.CASCADE, related_name="files")
    format = models.CharField(max_length=5, choices=Format.choices)
    table = models.CharField(max_length=60, blank=True, help_text="For a CSV: which table of the result.")
    file = models.FileField(upload_to="reports/%Y/%m/")
    filename = models.CharField(max_length=200, help_text="The name the download is given.")
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "format", "table"]
        constraints = [
            models.UniqueConstraint(fields=["run", "format", "table"], name="reporting_reportfile_unique"),
        ]

    def __str__(self) -> str:
        return self.filename


class ReportSubscription(models.Model):
    """A person who wants an email with a link when a scheduled run of a report finishes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions")
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="reporting_subscription_unique")]

    def __str__(self) -> str:
        return f"{self.user} subscribes to {self.kind}"
