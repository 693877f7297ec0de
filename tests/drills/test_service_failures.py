"""Failure drills: stop and start the real services and watch the service degrade gracefully.

Run by .ci/run after the main suite, as root, with RUN_SERVICE_DRILLS=1 (skipped otherwise):
- with Redis stopped, pages and the API keep working and only job requests say "unavailable";
- a worker killed mid-run leaves no run marked running for ever;
- with PostgreSQL stopped, /health/ says so (503) and pages answer a friendly 503.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from config.celery_app import app
from reporting.models import ReportRun
from reporting.services import report_run_request, report_runs_fail_stuck

pytestmark = [
    pytest.mark.skipif(os.environ.get("RUN_SERVICE_DRILLS") != "1", reason="service drills run only in CI"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parents[2]


def redis_up() -> bool:
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True).returncode == 0


def stop_redis() -> None:
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], capture_output=True)
    for _ in range(50):
        if not redis_up():
            return
        time.sleep(0.1)
    raise AssertionError("Redis did not stop")


def start_redis() -> None:
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        capture_output=True,
    )
    for _ in range(50):
        if redis_up():
            return
        time.sleep(0.1)
    raise AssertionError("Redis did not start")


def pg_cluster() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def test_with_redis_stopped_pages_and_api_work_and_jobs_say_unavailable(client, officer, api_client):
    app.conf.task_always_eager = False
    stop_redis()
    try:
        client.force_login(officer)
        assert client.get(reverse("core:home")).status_code == 200
        assert client.get(reverse("reporting:reportrun-list")).status_code == 200
        api_client.force_authenticate(officer)
        assert api_client.get(reverse("api:district-list")).status_code == 200
        refused = api_client.post(reverse("api:reportrun-list"), {"kind": "records-held"}, format="json")
        assert refused.status_code == 503
        assert "unavailable" in refused.json()["message"]
        page = client.post(reverse("reporting:reportrun-create", args=["records-held"]), {})
        assert page.status_code == 503
        health = client.get("/health/")
        assert health.status_code == 503 and health.json()["checks"]["broker"]["status"] == "down"
        assert not ReportRun.objects.exists()
    finally:
        start_redis()
        app.conf.task_always_eager = True


def test_a_worker_killed_mid_run_leaves_no_run_running_for_ever(officer):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": os.environ["DRILL_WORKER_DATABASE_URL"],
        "REPORTING_DRILL_DELAY_SECONDS": "30",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--hostname=drill@%h",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    app.conf.task_always_eager = False
    try:
        run = report_run_request(kind="records-held", parameters={}, user=officer)
        deadline = time.monotonic() + 60
        while ReportRun.objects.get(pk=run.pk).status != ReportRun.Status.RUNNING:
            assert time.monotonic() < deadline, "the worker never started the run"
            time.sleep(0.2)
        os.killpg(worker.pid, signal.SIGKILL)  # the worker dies mid-run
        worker.wait(timeout=10)
        assert ReportRun.objects.get(pk=run.pk).status == ReportRun.Status.RUNNING
        time.sleep(1.1)
        assert report_runs_fail_stuck(older_than=timedelta(seconds=1)) == 1  # what the beat task does
        run.refresh_from_db()
        assert run.status == ReportRun.Status.FAILED
        assert "worker may have stopped" in run.error
    finally:
        app.conf.task_always_eager = True
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        # the killed task's message goes back to the queue: clear it so no later worker picks it up
        app.control.purge()


def test_with_postgresql_stopped_health_and_pages_answer_503():
    from django.test import Client

    client = Client(raise_request_exception=False)  # see what a browser would see
    subprocess.run([*pg_cluster(), "stop", "-m", "fast"], check=True, capture_output=True)
    try:
        connection.close()
        health = client.get("/health/")
        assert health.status_code == 503
        assert health.json()["checks"]["database"]["status"] == "down"
        page = client.get(reverse("core:home"), HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}={'a' * 32}")
        assert page.status_code == 503
        assert "Sorry, the service is unavailable" in page.content.decode()
        api = client.get(reverse("api:district-list"), HTTP_AUTHORIZATION="Token sen_x_y")
        assert api.status_code == 503
        assert "temporarily unavailable" in api.json()["message"]
    finally:
        subprocess.run([*pg_cluster(), "start"], check=True, capture_output=True)
        for _ in range(60):
            if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
                break
            time.sleep(0.5)
        connection.close()
