"""Report jobs. Thin: ids in, a service called; safe to run twice."""

from celery import shared_task


@shared_task(name="reporting.tasks.build_report", soft_time_limit=840, time_limit=900, acks_late=True)
def build_report(run_id: int) -> None:
    """Build one report run (a redelivered task finds the run claimed and does nothing)."""
    from .services import report_run_build

    report_run_build(run_id=run_id)


@shared_task(name="reporting.tasks.fail_stuck_report_runs", soft_time_limit=60, time_limit=90)
def fail_stuck_report_runs() -> int:
    """Mark failed the runs left running or queued past the time limit."""
    from .services import report_runs_fail_stuck

    return report_runs_fail_stuck()


@shared_task(name="reporting.tasks.run_monthly_reports", soft_time_limit=120, time_limit=180)
def run_monthly_reports() -> int:
    """Queue the monthly spend and waiting-list runs."""
    from .services import report_runs_schedule_monthly

    return len(report_runs_schedule_monthly())
