from celery import shared_task

from customers import emails, services


@shared_task
def email_mca_link(invitation_id: int) -> None:
    emails.send_mca_link(invitation_id)


@shared_task
def email_portal_link(customer_id: int) -> None:
    emails.send_portal_link(customer_id)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def log_mca_in_partner_center(acceptance_id: int) -> None:
    services.mca_log_with_gateway(acceptance_id=acceptance_id)
