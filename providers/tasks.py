"""Provider jobs. Thin: call a service."""

from celery import shared_task


@shared_task(name="providers.tasks.check_compliance", soft_time_limit=600, time_limit=660)
def check_compliance() -> dict:
    """The daily compliance check: warn of evidence expiring soon, suspend on expired mandatory evidence."""
    from .services import compliance_check

    outcome = compliance_check()
    return {"warned": outcome.warned, "suspended": outcome.suspended}
