"""/health/ reports the database, broker and worker."""

import pytest
from django.test import override_settings

from tests.conftest import need_service

pytestmark = pytest.mark.django_db


def _broker_configured() -> bool:
    from django.conf import settings

    return bool(settings.CELERY_BROKER_URL)


def test_healthy_when_everything_configured_is_up(client):
    response = client.get("/health/")
    body = response.json()
    if _broker_configured():
        need_service(body["checks"]["worker"]["status"] == "up", "A Celery worker")
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "up"


@override_settings(CELERY_BROKER_URL="")
def test_without_a_broker_tasks_run_in_process_and_that_is_healthy(client):
    body = client.get("/health/").json()
    assert body["checks"]["broker"]["status"] == "not configured"
    assert body["checks"]["worker"]["status"] == "not configured"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_unreachable_broker_is_a_503_that_says_so(client):
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["status"] == "down"
    assert "Broker unreachable" in body["checks"]["broker"]["detail"]
    assert body["checks"]["worker"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "up"


def test_a_lost_database_is_a_friendly_503_not_a_500(client, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError
    from django.test import Client

    def broken(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(SessionStore, "load", broken)  # the database is gone when the session is read
    browser = Client(raise_request_exception=False)
    browser.cookies["sessionid"] = "a" * 32
    page = browser.get("/your-account/")
    assert page.status_code == 503
    assert "Sorry, the service is unavailable" in page.content.decode()
    api = browser.get("/api/v1/districts/")
    assert api.status_code == 503
    assert api.json()["message"].startswith("The service is temporarily unavailable")
