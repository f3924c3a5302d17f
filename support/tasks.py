from celery import shared_task
from django.core.mail import send_mail

from support import services


@shared_task
def email_operations(subject: str, body: str) -> None:
    recipients = services.ops_emails()
    if recipients:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)


@shared_task
def notify_sla_breaches() -> int:
    return services.tickets_notify_breaches()


@shared_task
def close_resolved_tickets() -> int:
    return services.tickets_close_resolved()
