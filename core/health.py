"""/health/: is the database up, is the broker reachable, is a worker answering?

200 when everything that is configured is up; 503 otherwise, with the failing part named.
With no broker configured, tasks run in-process and the broker and worker are reported as such.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views import View

from config.celery_app import app as celery_app

UP, DOWN, NOT_CONFIGURED = "up", "down", "not configured"


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the detail names it
        return {"status": DOWN, "detail": exc.__class__.__name__}
    return {"status": UP, "vendor": connection.vendor}


def check_broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"status": NOT_CONFIGURED, "detail": "Tasks run in-process."}
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises transport-specific errors
        return {"status": DOWN, "detail": f"Broker unreachable ({exc.__class__.__name__})."}
    return {"status": UP}


def check_worker(broker: dict) -> dict:
    if broker["status"] == NOT_CONFIGURED:
        return {"status": NOT_CONFIGURED, "detail": "Tasks run in-process."}
    if broker["status"] != UP:
        return {"status": DOWN, "detail": "No broker, so no worker can be reached."}
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            replies = celery_app.control.ping(timeout=1.0, connection=conn)
    except Exception as exc:
        return {"status": DOWN, "detail": exc.__class__.__name__}
    if not replies:
        return {"status": DOWN, "detail": "No worker answered within 1 second."}
    return {"status": UP, "workers": len(replies)}


class HealthView(View):
    """Public and cheap: no session, no template, no personal data."""

    def get(self, request):
        broker = check_broker()
        checks = {"database": check_database(), "broker": broker, "worker": check_worker(broker)}
        healthy = all(check["status"] in (UP, NOT_CONFIGURED) for check in checks.values())
        return JsonResponse(
            {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
        )
