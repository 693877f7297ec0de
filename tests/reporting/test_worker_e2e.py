"""A real Celery worker builds a run end to end: queued -> running -> succeeded, files downloadable.

Runs wherever a broker is configured (CI starts Redis and a worker on the test database);
skipped otherwise, or failed under REQUIRE_SERVICES=1.
"""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from config.celery_app import app
from reporting.models import ReportRun
from reporting.services import report_run_request
from tests.conftest import need_service

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def real_worker():
    need_service(bool(settings.CELERY_BROKER_URL), "A Celery broker (CELERY_BROKER_URL)")
    app.conf.task_always_eager = False
    try:
        need_service(bool(app.control.ping(timeout=2.0)), "A running Celery worker")
        yield
    finally:
        app.conf.task_always_eager = True


def wait_for(run_id: int, seconds: float = 60) -> ReportRun:
    deadline = time.monotonic() + seconds
    seen = set()
    while time.monotonic() < deadline:
        run = ReportRun.objects.get(pk=run_id)
        seen.add(run.status)
        if run.is_finished:
            run.seen = seen
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish; last status {run.status}")


def test_a_real_worker_builds_a_run(real_worker, client, officer):
    run = report_run_request(kind="records-held", parameters={}, user=officer)
    assert run.status in (ReportRun.Status.QUEUED, ReportRun.Status.RUNNING)  # the request did not build it
    run = wait_for(run.pk)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    assert run.progress == 100 and run.started_at and run.finished_at
    client.force_login(officer)
    csv = client.get(reverse("reporting:reportrun-download", args=[run.pk, "csv"]))
    assert b"Kind of record" in b"".join(csv.streaming_content)
