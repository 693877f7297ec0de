"""A bounded load test of the web tier on synthetic data (docs/benchmarks/README.md says how to run it).

It starts gunicorn with production settings on the loopback interface (several workers, DEBUG off), signs in
officer sessions, and for a fixed time drives a mix of officers' pages (children, the waiting list, placements,
invoices, a child's page), API lists and reports (the report runs page, a built run's result, the API's runs)
from plain Python threads. It prints requests per second, p50/p95/p99 latency and the errors, for each kind of
request and in all; then stops gunicorn and removes what it added: its sessions, the audit entries its child
pages wrote, and the report runs it built.

Load test only, never on a live service: the sessions are written straight into the session table, marked
as past two-factor authentication the way core.middleware.RequireTwoFactorMiddleware records it (synthetic
officers have no authenticator app). It refuses to run unless the database holds synthetic data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sen_synthetic .venv/bin/python scripts/loadtest.py
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only: the server binds here and the clients call here
TARGET_P95_MS = 300  # pages and API lists, at scale 1 on two cores


@dataclass
class Sample:
    kind: str
    name: str
    status: int
    ms: float


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample, error: str | None = None) -> None:
        with self.lock:
            self.samples.append(sample)
            if error:
                self.errors.append(error)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="Seconds of measured load (default 60).")
    parser.add_argument("--warmup", type=int, default=5, help="Seconds of unmeasured load first (default 5).")
    parser.add_argument("--users", type=int, default=8, help="Concurrent simulated officers (default 8).")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4).")
    parser.add_argument("--port", type=int, default=8765, help="Loopback port for gunicorn (default 8765).")
    parser.add_argument("--think", type=float, default=0.0, help="Seconds each user waits between requests.")
    parser.add_argument("--seed", type=int, default=1, help="Seed for the request mix (default 1).")
    parser.add_argument("--output", type=Path, help="Also write the summary to this file.")
    return parser.parse_args(argv)


def server_environment(static_root: str) -> dict[str, str]:
    """Production settings, served over plain HTTP on the loopback interface (no TLS to redirect to)."""
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to the synthetic database, e.g. postgres://postgres@127.0.0.1:5432/sen_synthetic")
    return {
        **os.environ,
        # Production settings but for fingerprinted static files (scripts/loadtest_settings.py says why).
        "DJANGO_SETTINGS_MODULE": "loadtest_settings",
        "PYTHONPATH": os.pathsep.join([str(BASE_DIR / "scripts"), str(BASE_DIR), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        # No broker: the report runs to read are built in-process while the test prepares.
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
    }


def set_up_django(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    sys.path[:0] = [str(BASE_DIR / "scripts"), str(BASE_DIR)]
    import django

    django.setup()


@dataclass
class Fixtures:
    """What the load test adds, so that it can take it away again."""

    sessions: dict[int, str]  # officer pk -> session key
    children: list[int]
    runs: list[int]
    started: object


def prepare(users: int) -> Fixtures:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from core.middleware import TWO_FACTOR_SESSION_KEY
    from core.models import User
    from core.roles import Role
    from placements.models import Child
    from placements.synthetic import USER_DOMAIN, synthetic_data_present
    from reporting.services import report_run_request

    if not synthetic_data_present():
        sys.exit(
            "No synthetic data here: run manage.py generate_synthetic first (the load test never runs on real data)."
        )
    officers = list(
        User.objects.filter(email__endswith=USER_DOMAIN, groups__name=Role.OFFICER.label, is_active=True).order_by(
            "email"
        )[:users]
    )
    if not officers:
        sys.exit("The synthetic data has no officers.")
    started = timezone.now()
    sessions = {}
    for officer in officers:
        session = SessionStore()
        session[SESSION_KEY] = str(officer.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[1]  # the ModelBackend
        session[HASH_SESSION_KEY] = officer.get_session_auth_hash()
        session[TWO_FACTOR_SESSION_KEY] = True  # load test only: as the middleware marks a session that passed
        session.set_expiry(3600)
        session.save()
        sessions[officer.pk] = session.session_key
    children = list(Child.objects.order_by("pk").values_list("pk", flat=True)[:2000])
    # Report runs to read, built as the monthly schedule builds them (for the council: no child named).
    runs = [
        report_run_request(kind=kind, parameters={}, user=None, scheduled=True).pk
        for kind in ("waiting-list", "spend", "provision-assurance", "nmiss")
    ]
    return Fixtures(sessions=sessions, children=children, runs=runs, started=started)


def tidy(fixtures: Fixtures) -> dict[str, int]:
    """Take away the sessions, the audit entries of the child pages read, and the report runs built."""
    from auditlog.models import LogEntry
    from django.contrib.sessions.models import Session

    from reporting.models import ReportFile, ReportRun

    removed = {
        "sessions": Session.objects.filter(session_key__in=fixtures.sessions.values()).delete()[0],
        "audit entries": LogEntry.objects.filter(
            actor_id__in=list(fixtures.sessions), timestamp__gte=fixtures.started, action=LogEntry.Action.ACCESS
        ).delete()[0],
    }
    for report_file in ReportFile.objects.filter(run_id__in=fixtures.runs):
        report_file.file.delete(save=False)
    removed["report runs (with their files)"] = (
        ReportRun.objects.filter(pk__in=fixtures.runs).delete()[1].get("reporting.ReportRun", 0)
    )
    return removed


def start_server(environment: dict[str, str], *, port: int, workers: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi",
        "--bind", f"{HOST}:{port}", "--workers", str(workers), "--timeout", "60", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=BASE_DIR, env=environment)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {server.returncode}).")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/health/")
            if connection.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("gunicorn did not answer within a minute.")


def request_mix(fixtures: Fixtures, rng: random.Random) -> list[tuple[int, str, str, Callable[[], str]]]:
    """(weight, kind, name, path) for what officers do most: lists first, a child's page, the API, reports."""
    children, runs = fixtures.children, fixtures.runs
    return [
        (15, "page", "children", lambda: "/children/"),
        (15, "page", "waiting list", lambda: "/waiting-list/"),
        (10, "page", "placements", lambda: "/placements/"),
        (10, "page", "invoices", lambda: "/invoices/"),
        (10, "page", "a child", lambda: f"/children/{rng.choice(children)}/"),
        (5, "api", "children", lambda: "/api/v1/children/"),
        (5, "api", "referrals", lambda: "/api/v1/referrals/"),
        (5, "api", "placements", lambda: "/api/v1/placements/"),
        (5, "api", "invoices", lambda: "/api/v1/invoices/"),
        (5, "report", "report runs page", lambda: "/reports/"),
        (5, "report", "a report's result", lambda: f"/reports/{rng.choice(runs)}/"),
        (5, "report", "API report runs", lambda: "/api/v1/report-runs/"),
        (5, "report", "API report run", lambda: f"/api/v1/report-runs/{rng.choice(runs)}/"),
    ]


def drive(*, port: int, cookie: str, mix, until: float, measure_from: float, think: float, results: Results, rng):
    weights = [weight for weight, *_ in mix]
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    while time.monotonic() < until:
        _, kind, name, path = rng.choices(mix, weights=weights)[0]
        url = path()
        began = time.monotonic()
        try:
            connection.request("GET", url, headers={"Cookie": cookie, "Host": f"{HOST}:{port}"})
            response = connection.getresponse()
            response.read()
            status, error = response.status, None if response.status == 200 else f"{url}: {response.status}"
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=60)
            status, error = 0, f"{url}: {exc.__class__.__name__}"
        ended = time.monotonic()
        if began >= measure_from:
            results.add(Sample(kind, name, status, (ended - began) * 1000), error)
        if think:
            time.sleep(think)
    connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def data_described() -> str:
    from django.db import connection

    from placements.models import Child, Invoice
    from placements.synthetic import PER_COUNTY

    children = Child.objects.count()
    return (
        f"synthetic, scale {children / PER_COUNTY['children']:g} ({children:,} children, "
        f"{Invoice.objects.count():,} invoices) on {connection.vendor}"
    )


def summary(results: Results, *, args, seconds: float, removed: dict) -> str:
    def line(label: str, samples: list[Sample]) -> str:
        ms = [s.ms for s in samples]
        errors = sum(1 for s in samples if s.status != 200)
        return (
            f"{label:<34}{len(samples):>8}{len(samples) / seconds:>9.1f}{statistics.median(ms) if ms else 0:>9.1f}"
            f"{percentile(ms, 0.95):>9.1f}{percentile(ms, 0.99):>9.1f}{errors:>8}"
        )

    header = f"{'':<34}{'requests':>8}{'per s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    by_kind, by_name = defaultdict(list), defaultdict(list)
    for sample in results.samples:
        by_kind[sample.kind].append(sample)
        by_name[(sample.kind, sample.name)].append(sample)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.lower().startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        f"Load test: {args.users} users for {args.duration} s (after {args.warmup} s of warm-up), think time "
        f"{args.think} s, gunicorn with {args.workers} sync workers on {HOST}:{args.port}, production settings "
        f"(static files not fingerprinted: scripts/loadtest_settings.py).",
        f"Data: {data_described()}.",
        f"Machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}. Server, database and "
        f"clients share the machine.",
        "",
        header,
        "-" * len(header),
        line("all requests", results.samples),
    ]
    for kind in ("page", "api", "report"):
        lines.append(line(f"{kind}s" if kind != "api" else "API lists", by_kind.get(kind, [])))
    lines += ["", header, "-" * len(header)]
    for (kind, name), samples in sorted(by_name.items()):
        lines.append(line(f"{kind}: {name}", samples))
    lists = by_kind.get("page", []) + by_kind.get("api", [])
    p95 = percentile([s.ms for s in lists], 0.95)
    errors = sum(1 for s in results.samples if s.status != 200)
    lines += [
        "",
        f"Pages and API lists: p95 {p95:.1f} ms (target under {TARGET_P95_MS} ms): "
        f"{'met' if p95 < TARGET_P95_MS else 'NOT met'}. Errors: {errors} (target 0).",
    ]
    if results.errors:
        lines.append("First errors: " + "; ".join(results.errors[:10]))
    lines.append("Removed afterwards: " + ", ".join(f"{n} {what}" for what, n in removed.items()) + ".")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    static_root = tempfile.mkdtemp(prefix="loadtest-static-")
    environment = server_environment(static_root)
    set_up_django(environment)
    from django.conf import settings

    fixtures = prepare(args.users)
    server = None
    try:
        server = start_server(environment, port=args.port, workers=args.workers)
        results = Results()
        officers = list(fixtures.sessions.values())
        now = time.monotonic()
        measure_from, until = now + args.warmup, now + args.warmup + args.duration
        threads = []
        for index in range(args.users):
            rng = random.Random(args.seed * 1000 + index)
            cookie = f"{settings.SESSION_COOKIE_NAME}={officers[index % len(officers)]}"
            thread = threading.Thread(
                target=drive,
                kwargs={
                    "port": args.port,
                    "cookie": cookie,
                    "mix": request_mix(fixtures, rng),
                    "until": until,
                    "measure_from": measure_from,
                    "think": args.think,
                    "results": results,
                    "rng": rng,
                },
                daemon=True,
            )
            threads.append(thread)
            thread.start()
        for thread in threads:
            thread.join()
        seconds = max(0.001, time.monotonic() - measure_from)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        removed = tidy(fixtures)
        shutil.rmtree(static_root, ignore_errors=True)
    text = summary(results, args=args, seconds=min(seconds, args.duration), removed=removed)
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
