import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.roles import Role
from support import services
from support.models import Ticket, TicketAttachment, TicketMessage
from tests.factories import CustomerFactory, UserFactory


@pytest.fixture
def ops(db):
    return UserFactory(email="duty@distributor.test", is_staff=True)


def open_ticket(member, **kw):
    data = {
        "subject": "Seats not provisioned",
        "category": "provisioning",
        "priority": "high",
        "description": "Order 42 is stuck.",
    } | kw
    return services.ticket_open(member=member, **data)


@pytest.mark.django_db
def test_open_ticket_sets_the_sla_and_mails_operations(
    owner_a, ops, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = open_ticket(owner_a)
    assert ticket.first_response_due_at == dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)
    assert ticket.status == Ticket.Status.OPEN
    assert mailoutbox[0].to == ["duty@distributor.test"]
    assert "[HIGH] New ticket" in mailoutbox[0].subject
    assert f"/ops/support/tickets/{ticket.pk}/" in mailoutbox[0].body


@pytest.mark.django_db
def test_viewer_cannot_open_and_foreign_customer_is_refused(
    reseller_a, reseller_b, member_of, unscoped
):
    from django.http import Http404

    with pytest.raises(PermissionDenied):
        open_ticket(member_of(reseller_a, Role.VIEWER))
    with pytest.raises(Http404):
        open_ticket(
            member_of(reseller_a, Role.SALES), customer=CustomerFactory(reseller=reseller_b)
        )
    with unscoped():
        assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_bad_attachment_rejects_the_whole_ticket(owner_a, unscoped):
    with pytest.raises(ValidationError, match="evil.html"):
        open_ticket(
            owner_a,
            files=[
                SimpleUploadedFile("ok.txt", b"fine"),
                SimpleUploadedFile("evil.html", b"<script>"),
            ],
        )
    with unscoped():
        assert Ticket.objects.count() == 0 and TicketMessage.objects.count() == 0


@pytest.mark.django_db
def test_thread_answer_internal_note_and_statuses(
    owner_a, ops, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = open_ticket(owner_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_ops_reply(
            user=ops, ticket=ticket, body="Checking with Microsoft.", internal=False
        )
        services.ticket_ops_reply(
            user=ops, ticket=ticket, body="Customer is a known abuser", internal=True
        )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_ON_RESELLER
    assert ticket.first_response_at is not None
    assert mailoutbox[-1].to == [owner_a.user.email]
    assert "Operations answered ticket" in mailoutbox[-1].subject

    page = client_for(owner_a).get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert "Checking with Microsoft." in page
    assert "known abuser" not in page and "internal note" not in page

    services.ticket_reply(member=owner_a, ticket=ticket, body="Thanks")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING_ON_OPERATIONS


@pytest.mark.django_db
def test_reopen_within_14_days_only(owner_a):
    ticket = open_ticket(owner_a)
    services.ticket_resolve(member=owner_a, ticket=ticket)
    with pytest.raises(ValidationError, match="reopen it to add a message"):
        services.ticket_reply(member=owner_a, ticket=ticket, body="again")
    with time_machine.travel(timezone.now() + dt.timedelta(days=13, hours=23)):
        services.ticket_reopen(member=owner_a, ticket=ticket)
    services.ticket_resolve(member=owner_a, ticket=ticket)
    with time_machine.travel(timezone.now() + dt.timedelta(days=14)):
        with pytest.raises(ValidationError, match="can no longer be reopened"):
            services.ticket_reopen(member=owner_a, ticket=ticket)
        assert services.tickets_close_resolved() == 1
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


@pytest.mark.django_db
def test_sla_breach_is_announced_once(owner_a, ops, mailoutbox, django_capture_on_commit_callbacks):
    urgent = open_ticket(owner_a, priority="urgent")
    answered = open_ticket(owner_a, priority="urgent")
    services.ticket_ops_reply(user=ops, ticket=answered, body="On it")
    mailoutbox.clear()
    later = timezone.now() + dt.timedelta(hours=1, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.tickets_notify_breaches(now=later) == 1
        assert services.tickets_notify_breaches(now=later) == 0
    assert len(mailoutbox) == 1
    assert f"SLA BREACH: ticket #{urgent.pk} (Urgent)" in mailoutbox[0].subject


@pytest.mark.django_db
def test_ops_queue_sorted_by_due_time_with_overdue_highlighted(owner_a, ops, client, settings):
    settings.STAFF_MFA_REQUIRED = False
    normal = open_ticket(owner_a, priority="normal", subject="Normal one")
    urgent = open_ticket(owner_a, priority="urgent", subject="Urgent one")
    Ticket.objects.with_scopes_disabled().filter(pk=urgent.pk).update(
        first_response_due_at=timezone.now() - dt.timedelta(minutes=5)
    )
    client.force_login(ops)
    page = client.get("/ops/support/").content.decode()
    assert page.index("Urgent one") < page.index("Normal one")
    assert page.count("OVERDUE") == 1
    assert f"/ops/support/tickets/{normal.pk}/" in page


@pytest.mark.django_db
def test_ops_assigns_and_only_staff_may(owner_a, ops):
    ticket = open_ticket(owner_a)
    services.ticket_ops_update(user=ops, ticket=ticket, assigned_to=ops)
    assert Ticket.objects.with_scopes_disabled().get(pk=ticket.pk).assigned_to == ops
    with pytest.raises(PermissionDenied):
        services.ticket_ops_update(user=owner_a.user, ticket=ticket, status="closed")
    with pytest.raises(ValidationError, match="only be assigned to operations staff"):
        services.ticket_ops_update(user=ops, ticket=ticket, assigned_to=owner_a.user)


@pytest.mark.django_db
def test_attachments_download_never_render(owner_a, client_for):
    ticket = open_ticket(owner_a, files=[SimpleUploadedFile("trace.txt", b"<b>trace</b>")])
    client = client_for(owner_a)
    page = client.get(f"/support/tickets/{ticket.pk}/").content.decode()
    assert "trace.txt" in page
    attachment = TicketAttachment.objects.with_scopes_disabled().get()
    response = client.get(f"/support/attachments/{attachment.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith('attachment; filename="trace.txt"')
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"<b>trace</b>"


@pytest.mark.django_db
def test_ops_pages_are_staff_only(owner_a, client_for):
    ticket = open_ticket(owner_a)
    client = client_for(owner_a)
    assert client.get("/ops/support/").status_code == 403
    assert client.get(f"/ops/support/tickets/{ticket.pk}/").status_code == 403
