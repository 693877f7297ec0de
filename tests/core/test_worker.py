"""A task sent through the real broker is executed by a real worker and its result read back."""

import uuid

import pytest
from django.conf import settings

from config.celery_app import app
from core.tasks import echo
from tests.conftest import need_service

pytestmark = pytest.mark.services


def test_worker_round_trip():
    need_service(bool(settings.CELERY_BROKER_URL), "A Celery broker (CELERY_BROKER_URL)")
    app.conf.task_always_eager = False
    try:
        need_service(bool(app.control.ping(timeout=2.0)), "A running Celery worker")
        marker = str(uuid.uuid4())
        result = echo.delay(marker)
        assert result.get(timeout=20) == marker
    finally:
        app.conf.task_always_eager = True
