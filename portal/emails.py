"""Outgoing e-mail. Called from Celery tasks, after the transaction that caused it committed."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scopes_disabled

from portal.models import Invitation, Notification


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def one_line(text: str) -> str:
    """Any run of white space, line breaks included, as one space."""
    return " ".join(str(text).split())


def send(*, subject: str, body: str, to: list[str]) -> None:
    """send_mail with a subject made one line: a line break in a name or title (which would
    make Django refuse the header) cannot stop an e-mail."""
    send_mail(subject=one_line(subject), message=body, from_email=None, recipient_list=to)


def send_notifications(ids: list[int]) -> int:
    with scopes_disabled():
        notes = list(Notification.objects.filter(pk__in=ids).select_related("user", "reseller"))
    for note in notes:
        send(
            subject=f"[{note.reseller.name}] {note.title}",
            body=f"{note.body}\n\n{absolute_url(note.url or '/')}\n",
            to=[note.user.email],
        )
    return len(notes)


def send_invitation(invitation_id: int) -> None:
    with scopes_disabled():
        invitation = Invitation.objects.select_related("reseller", "invited_by").get(
            pk=invitation_id
        )
    link = absolute_url(reverse("invitation", kwargs={"token": invitation.token}))
    body = render_to_string("portal/email/invitation.txt", {"invitation": invitation, "link": link})
    send(
        subject=f"You are invited to {invitation.reseller.name} on the reseller portal",
        body=body,
        to=[invitation.email],
    )
