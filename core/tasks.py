"""Core background jobs. Tasks are thin: ids in, a service or command called."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="core.tasks.clear_expired_sessions", soft_time_limit=300, time_limit=360)
def clear_expired_sessions() -> None:
    """Delete expired sessions from the database (Django's clearsessions)."""
    call_command("clearsessions")


@shared_task(name="core.tasks.echo", soft_time_limit=10, time_limit=20)
def echo(value: str) -> str:
    """Round-trip probe for the worker: returns what it was sent."""
    return value
