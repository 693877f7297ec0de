"""Jobs of the placements app. Thin: call a service."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="placements.tasks.anonymise_expired_children", soft_time_limit=1200, time_limit=1260)
def anonymise_expired_children() -> int:
    """The daily retention rule: anonymise children whose records are past their retention date."""
    from .services import children_anonymise_expired

    count = children_anonymise_expired()
    logger.info("Retention: anonymised %d children's records.", count)
    return count
