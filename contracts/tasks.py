"""Contract jobs. Thin: call a service."""

from celery import shared_task


@shared_task(name="contracts.tasks.check_contract_alerts", soft_time_limit=300, time_limit=360)
def check_contract_alerts() -> dict:
    """Flag contracts ending within 6, 3 and 1 months, and unsigned contracts that are delivering."""
    from .services import contract_alerts_check

    return contract_alerts_check()
