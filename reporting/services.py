"""Report runs: request (queue), build (the task's work), fail the stuck ones, schedules, subscriptions."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core.health import UP, check_broker
from core.models import User
from core.services import notification_send

from .definitions import Result, get_definition
from .exports import result_pdf, result_xlsx, table_csv
from .models import ReportFile, ReportRun, ReportSubscription
from .tasks import build_report as build_report_task

logger = logging.getLogger(__name__)

PROGRESS_STEP = 5  # save progress every 5 percentage points, never per row


class ReportsUnavailable(Exception):
    """The job queue cannot be reached: no report can be requested now."""

    message = "Reports are unavailable at the moment because the job queue cannot be reached. Try again later."


def _queue_is_down() -> bool:
    from config.celery_app import app

    if app.conf.task_always_eager or not settings.CELERY_BROKER_URL:
        return False  # tasks run in-process
    return check_broker()["status"] != UP


def _enqueue(run: ReportRun) -> None:
    """Hand the run to a worker (or, with no broker configured, build it in-process now)."""
    try:
        build_report_task.delay(run.pk)
    except Exception as exc:  # kombu raises transport-specific errors when the broker goes away mid-publish
        ReportRun.objects.filter(pk=run.pk, status=ReportRun.Status.QUEUED).update(
            status=ReportRun.Status.FAILED, error="The run could not be queued.", finished_at=timezone.now()
        )
        raise ReportsUnavailable from exc


def report_run_request(*, kind: str, parameters: dict, user: User | None, scheduled: bool = False) -> ReportRun:
    """Validate the parameters, create a queued run and hand it to a worker once it is saved.

    Raises ValidationError for an unknown report or bad parameters (nothing is created), and
    ReportsUnavailable when the queue is down (checked before anything is created).
    """
    definition = get_definition(kind)
    if definition is None:
        raise ValidationError({"kind": "There is no such report."})
    form = definition.form(data=parameters)
    if not form.is_valid():
        raise ValidationError({name: [str(message) for message in errors] for name, errors in form.errors.items()})
    if _queue_is_down():
        raise ReportsUnavailable
    with transaction.atomic():
        run = ReportRun.objects.create(
            kind=kind,
            parameters=definition.params_from_form(form),
            requested_by=user,
            scheduled=scheduled,
            includes_child_identity=bool(user) and definition.includes_child_identity(user),
        )
    _enqueue(run)
    run.refresh_from_db()
    return run


def report_run_build(*, run_id: int) -> None:
    """Build one run. Claims the row first, so a redelivered task does nothing; records any error."""
    claimed = ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.QUEUED).update(
        status=ReportRun.Status.RUNNING, started_at=timezone.now(), progress=0, step="Starting"
    )
    if claimed != 1:
        return  # already built, failed, or another worker has it
    run = ReportRun.objects.select_related("requested_by").get(pk=run_id)
    definition = get_definition(run.kind)
    if settings.REPORTING_DRILL_DELAY_SECONDS:
        time.sleep(settings.REPORTING_DRILL_DELAY_SECONDS)  # failure drills only: a run that takes a while
    last_saved = {"percent": 0}

    def progress(percent: int, step: str) -> None:
        percent = max(0, min(99, int(percent)))
        if percent - last_saved["percent"] >= PROGRESS_STEP or percent == 0:
            ReportRun.objects.filter(pk=run_id).update(progress=percent, step=step[:200])
            last_saved["percent"] = percent

    try:
        if definition is None:
            raise ValueError(f"Unknown report {run.kind!r}.")
        params = definition.cleaned_params(run.parameters)
        # The person's permissions may have changed since they asked: if the result will now name
        # children, the run is marked so (only people who may see children can open it), never the reverse.
        names_children = run.includes_child_identity or (
            bool(run.requested_by) and definition.includes_child_identity(run.requested_by)
        )
        result: Result = definition.build(params=params, progress=progress, user=run.requested_by)
        result_json = result.to_json()
        progress(90, "Writing the downloads")
        with transaction.atomic():
            _write_files(run=run, definition=definition, result=result, result_json=result_json)
            ReportRun.objects.filter(pk=run_id).update(
                includes_child_identity=names_children,
                status=ReportRun.Status.SUCCEEDED,
                result=result_json,
                progress=100,
                step="Finished",
                finished_at=timezone.now(),
            )
    except Exception as exc:  # the run records why it failed; the worker carries on
        logger.exception("Report run %s failed", run_id)
        ReportRun.objects.filter(pk=run_id).update(
            status=ReportRun.Status.FAILED,
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        return
    _notify_subscribers(run_id)


def _write_files(*, run: ReportRun, definition, result: Result, result_json: dict) -> None:
    stamp = (run.created_at or timezone.now()).strftime("%Y-%m-%d")
    base = f"{slugify(definition.title)}-{stamp}-run-{run.pk}"
    described = definition.describe_params(run.parameters)
    files: list[tuple[str, str, str, bytes]] = []
    for index, table in enumerate(result_json["tables"]):
        name = base if index == 0 else f"{base}-{table['key']}"
        files.append((ReportFile.Format.CSV, "" if index == 0 else table["key"], f"{name}.csv", table_csv(table)))
    files.append(
        (
            ReportFile.Format.XLSX,
            "",
            f"{base}.xlsx",
            result_xlsx(result_json, title=definition.title, described_params=described),
        )
    )
    if definition.pdf:
        pdf = result_pdf(result_json, title=definition.title, described_params=described, run=run)
        files.append((ReportFile.Format.PDF, "", f"{base}.pdf", pdf))
    for fmt, filename, content in definition.extra_files(result=result, params=run.parameters):
        files.append((fmt, "", filename, content))
    run.files.all().delete()
    for fmt, table, filename, content in files:
        record = ReportFile(run=run, format=fmt, table=table, filename=filename, size=len(content))
        record.file.save(f"run-{run.pk}-{fmt}-{table or 'main'}.{fmt}", ContentFile(content), save=False)
        record.save()


def _notify_subscribers(run_id: int) -> None:
    run = ReportRun.objects.get(pk=run_id)
    if not run.scheduled:
        return
    definition = get_definition(run.kind)
    subscribers = [
        s.user
        for s in ReportSubscription.objects.filter(kind=run.kind).select_related("user")
        if ReportRun.objects.visible_to(s.user).filter(pk=run.pk).exists()
    ]
    notification_send(
        recipients=subscribers,
        kind="report-ready",
        title=f"{definition.title if definition else run.kind}: the monthly run is ready",
        body="The scheduled report has finished. Sign in to see it and download it.",
        url=run.get_absolute_url(),
    )


def report_runs_fail_stuck(*, older_than: timedelta | None = None) -> int:
    """Mark failed every run left running (or queued) past the time limit: a worker died or the queue lost it."""
    limit = older_than or timedelta(seconds=settings.REPORT_RUN_TIMEOUT_SECONDS)
    cutoff = timezone.now() - limit
    running = ReportRun.objects.filter(status=ReportRun.Status.RUNNING, started_at__lt=cutoff).update(
        status=ReportRun.Status.FAILED,
        error=f"The run did not finish within {int(limit.total_seconds() // 60)} minutes; the worker may have stopped.",
        finished_at=timezone.now(),
    )
    queued = ReportRun.objects.filter(status=ReportRun.Status.QUEUED, created_at__lt=cutoff).update(
        status=ReportRun.Status.FAILED,
        error=f"No worker started the run within {int(limit.total_seconds() // 60)} minutes.",
        finished_at=timezone.now(),
    )
    if running or queued:
        logger.warning("Marked %s stuck report runs as failed", running + queued)
    return running + queued


def report_runs_schedule_monthly(*, kinds: tuple[str, ...] = ("spend", "waiting-list")) -> list[ReportRun]:
    """The monthly runs (beat, 1st of the month) with each report's default parameters."""
    runs = []
    for kind in kinds:
        definition = get_definition(kind)
        if definition is None:
            continue
        try:
            runs.append(report_run_request(kind=kind, parameters={}, user=None, scheduled=True))
        except ReportsUnavailable:
            logger.error("Monthly %s report could not be queued: the job queue is down", kind)
    return runs


@transaction.atomic
def report_subscription_set(*, user: User, kind: str, subscribed: bool) -> None:
    if get_definition(kind) is None:
        raise ValidationError({"kind": "There is no such report."})
    if subscribed:
        ReportSubscription.objects.get_or_create(user=user, kind=kind)
    else:
        ReportSubscription.objects.filter(user=user, kind=kind).delete()
