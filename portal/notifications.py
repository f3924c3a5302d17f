"""Notifications: in-app ones for reseller members, also sent by e-mail once the transaction has
committed, and e-mail to the operations staff (their own queue pages have the details)."""

from celery import shared_task
from django.conf import settings

from portal import emails
from portal.models import Notification, User
from portal.tasking import ResellerTask


def notify(*, reseller, users, title: str, body: str = "", url: str = "") -> list[Notification]:
    notes = Notification.objects.bulk_create(
        [Notification(reseller=reseller, user=u, title=title, body=body, url=url) for u in users]
    )
    if notes:
        email_notifications_task.delay_on_commit([n.pk for n in notes])
    return notes


def notify_operations(*, subject: str, body: str) -> None:
    """E-mail the operations staff once the caller's transaction has committed."""
    email_operations_task.delay_on_commit(subject, body)


def ops_emails() -> list[str]:
    """Who hears of operations work: SUPPORT_OPS_EMAILS, else every active staff user."""
    if settings.SUPPORT_OPS_EMAILS:
        return list(settings.SUPPORT_OPS_EMAILS)
    return list(User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))


@shared_task(base=ResellerTask)
def email_notifications_task(ids: list[int]) -> int:
    return emails.send_notifications(ids)


@shared_task(base=ResellerTask)
def email_operations_task(subject: str, body: str) -> None:
    recipients = ops_emails()
    if recipients:
        emails.send(subject=subject, body=body, to=recipients)
