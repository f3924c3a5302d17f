import logging

from celery import shared_task
from django.core.exceptions import ValidationError

from customers import emails, services
from partner_center.errors import GatewayError, RateLimited, Unavailable

logger = logging.getLogger(__name__)


@shared_task
def email_mca_link(invitation_id: int) -> None:
    emails.send_mca_link(invitation_id)


@shared_task
def email_portal_link(customer_id: int) -> None:
    emails.send_portal_link(customer_id)


@shared_task(bind=True, max_retries=5)
def log_mca_in_partner_center(self, acceptance_id: int) -> None:
    """Attest an acceptance in Partner Center; retried while Partner Center is busy or down.
    A refusal stays on the acceptance in the operations queue."""
    try:
        services.mca_log_with_gateway(acceptance_id=acceptance_id)
    except (RateLimited, Unavailable) as exc:
        countdown = getattr(exc, "retry_after", None) or 30 * 2 ** self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc
    except (GatewayError, ValidationError) as exc:
        logger.warning("MCA acceptance %s not logged in Partner Center: %s", acceptance_id, exc)
