"""In-app notifications, also sent by e-mail once the transaction has committed."""

from portal.models import Notification


def notify(*, reseller, users, title: str, body: str = "", url: str = "") -> list[Notification]:
    notes = Notification.objects.bulk_create(
        [Notification(reseller=reseller, user=u, title=title, body=body, url=url) for u in users]
    )
    if notes:
        from portal.tasks import email_notifications

        email_notifications.delay_on_commit([n.pk for n in notes])
    return notes
