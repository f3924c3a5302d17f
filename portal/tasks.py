from celery import shared_task

from portal import emails, services


@shared_task
def email_notifications(ids: list[int]) -> int:
    return emails.send_notifications(ids)


@shared_task
def send_invitation_email(invitation_id: int) -> None:
    emails.send_invitation(invitation_id)


@shared_task
def expire_invitations() -> int:
    return services.invitations_expire()
