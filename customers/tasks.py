"""Customers' beat-scheduled jobs (CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from customers.gdap.services import relationships_discover, relationships_poll
from partner_center.errors import GatewayError

logger = logging.getLogger(__name__)

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**RELIABLE)
def poll_gdap_relationships() -> dict:
    """Hourly (beat): relationships made outside the portal recorded, then each one's status
    from Microsoft, the access assignment once active, reminders 30 and 7 days before the end;
    idempotent."""
    try:
        imported = relationships_discover()
    except GatewayError as exc:  # the known ones are still followed
        logger.warning("GDAP relationships could not be listed: %s", exc)
        imported = 0
    return {"imported": imported, **relationships_poll()}
