"""The MCA click-through: every state of a link, the guard, notifications and the ops queue."""

import datetime
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import Customer, McaAcceptance, McaInvitation
from portal.models import AuditEvent, Notification
from portal.roles import Role
from tests.factories import CustomerFactory, McaAcceptanceFactory, UserFactory

FORM = {
    "first_name": "Avery",
    "last_name": "Hill",
    "email": "avery@contoso.test",
    "phone": "",
    "accept": "on",
}


def _link_of(message) -> str:
    return re.search(r"http://\S+/c/mca/\S+/", message.body).group(0)


def _path(link: str) -> str:
    return link.split("testserver", 1)[-1] if "testserver" in link else "/" + link.split("/", 3)[3]


@pytest.fixture
def customer(reseller_a):
    return CustomerFactory(
        reseller=reseller_a, company_name="Contoso Ltd", contact_email="avery@contoso.test"
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the block queued on commit (e-mails) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def sent(owner_a, customer, mailoutbox, committed):
    with committed():
        services.mca_send(member=owner_a, customer=customer)
    return _path(_link_of(mailoutbox[-1]))


def _acceptances(unscoped):
    with unscoped():
        return McaAcceptance.objects.count()


@pytest.mark.django_db
def test_send_emails_a_link_and_marks_sent(owner_a, customer, mailoutbox, unscoped, committed):
    with committed():
        services.mca_send(member=owner_a, customer=customer)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["avery@contoso.test"]
    assert "Microsoft Customer Agreement" in mailoutbox[0].subject
    customer.refresh_from_db()
    assert customer.mca_status == "sent"
    with unscoped():
        assert AuditEvent.objects.filter(action="customers.mca.sent").count() == 1


@pytest.mark.django_db
def test_valid_link_shows_agreement_under_reseller_branding(client, sent, reseller_a):
    page = client.get(sent).content.decode()
    assert "Microsoft Customer Agreement" in page and "mca-2024-04" in page
    assert "Alpha Cloud" in page and "Contoso Ltd" in page
    assert 'value="avery@contoso.test"' in page


@pytest.mark.django_db
def test_accepting_records_evidence_notifies_reseller_and_uses_the_link(
    client, sent, customer, owner_a, reseller_a, member_of, mailoutbox, unscoped, committed
):
    viewer = member_of(reseller_a, Role.VIEWER)
    with (
        time_machine.travel(datetime.datetime(2026, 6, 1, 12, 30, tzinfo=datetime.UTC), tick=False),
        committed(),
    ):
        response = client.post(
            sent,
            {**FORM, "phone": "+1 206 555 0101"},
            HTTP_USER_AGENT="Mozilla/5.0 Test",
            REMOTE_ADDR="198.51.100.7",
        )
    assert "accepted the Microsoft Customer Agreement" in response.content.decode()
    with unscoped():
        acceptance = McaAcceptance.objects.get()
        assert Notification.objects.filter(user=owner_a.user).count() == 1
        assert not Notification.objects.filter(user=viewer.user).exists()
        assert AuditEvent.objects.filter(action="customers.mca.accepted").count() == 1
    assert acceptance.date_agreed == datetime.datetime(2026, 6, 1, 12, 30, tzinfo=datetime.UTC)
    assert (
        acceptance.first_name,
        acceptance.phone,
        acceptance.template_id,
        acceptance.ip_address,
        acceptance.user_agent,
    ) == ("Avery", "+1 206 555 0101", "mca-2024-04", "198.51.100.7", "Mozilla/5.0 Test")
    customer.refresh_from_db()
    assert customer.mca_status == "accepted"
    assert any("accepted the Microsoft Customer Agreement" in m.subject for m in mailoutbox)
    # the link is single use
    again = client.post(sent, FORM)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert _acceptances(unscoped) == 1


@pytest.mark.django_db
def test_without_the_tick_nothing_is_recorded(client, sent, unscoped):
    response = client.post(sent, {**FORM, "accept": ""})
    assert "Tick the box to accept" in response.content.decode()
    assert _acceptances(unscoped) == 0


@pytest.mark.django_db
def test_expired_link_explains_and_writes_nothing(client, sent, unscoped):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=14, minutes=1)):
        response = client.post(sent, FORM)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert _acceptances(unscoped) == 0


@pytest.mark.django_db
def test_expiry_follows_the_setting(client, owner_a, customer, mailoutbox, settings, committed):
    settings.MCA_LINK_MAX_AGE_DAYS = 2
    with committed():
        invitation = services.mca_send(member=owner_a, customer=customer)
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=2)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2, minutes=1)):
        assert "expired" in client.get(_path(_link_of(mailoutbox[-1]))).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [
        lambda path: path[:-3] + "AB/",  # signature changed
        lambda path: path.replace("/c/mca/", "/c/mca/x"),  # payload changed
        lambda path: "/c/mca/not-a-token/",
    ],
)
def test_tampered_link_is_refused(client, sent, tamper, unscoped):
    response = client.post(tamper(sent), FORM)
    assert response.status_code == 410 and "not valid" in response.content.decode()
    assert _acceptances(unscoped) == 0


@pytest.mark.django_db
def test_revoked_link_stops_working(client, sent, owner_a, customer, unscoped):
    services.mca_revoke(member=owner_a, customer=customer)
    response = client.post(sent, FORM)
    assert response.status_code == 410 and "withdrawn by Alpha Cloud" in response.content.decode()
    customer.refresh_from_db()
    assert customer.mca_status == "not_sent" and _acceptances(unscoped) == 0


@pytest.mark.django_db
def test_resend_replaces_the_old_link(
    client, sent, owner_a, customer, mailoutbox, unscoped, committed
):
    with committed():
        services.mca_send(member=owner_a, customer=customer)
    new = _path(_link_of(mailoutbox[-1]))
    assert new != sent
    old = client.post(sent, FORM)
    assert old.status_code == 410 and "newer link" in old.content.decode()
    assert client.post(new, FORM).status_code == 200
    with unscoped():
        assert list(McaInvitation.objects.order_by("sent_at").values_list("state", flat=True)) == [
            "superseded",
            "used",
        ]


@pytest.mark.django_db
def test_link_of_one_customer_cannot_be_turned_into_another(
    client, sent, owner_a, reseller_a, unscoped
):
    """A valid signature for invitation X with customer Y swapped in is refused: the payload is
    signed as a whole, and the row must match id, customer and nonce."""
    from django.core import signing

    from customers.links import MCA_SALT

    other = CustomerFactory(reseller=reseller_a)
    services.mca_send(member=owner_a, customer=other)
    token = sent.split("/")[3]
    data = signing.loads(token, salt=MCA_SALT)
    forged = signing.dumps({**data, "c": other.pk}, salt="wrong-salt")
    assert client.post(f"/c/mca/{forged}/", FORM).status_code == 410
    # even a correctly signed payload mixing two invitations is refused
    with unscoped():
        other_invitation = McaInvitation.objects.get(customer=other)
    mixed = signing.dumps({"i": other_invitation.pk, "c": data["c"], "n": data["n"]}, salt=MCA_SALT)
    assert client.post(f"/c/mca/{mixed}/", FORM).status_code == 410
    assert _acceptances(unscoped) == 0


@pytest.mark.django_db
def test_viewer_cannot_send_or_revoke(reseller_a, member_of, customer, mailoutbox, unscoped):
    viewer = member_of(reseller_a, Role.VIEWER)
    with pytest.raises(PermissionDenied):
        services.mca_send(member=viewer, customer=customer)
    with pytest.raises(PermissionDenied):
        services.mca_revoke(member=viewer, customer=customer)
    assert mailoutbox == []
    with unscoped():
        assert McaInvitation.objects.count() == 0


@pytest.mark.django_db
def test_accepted_customer_is_not_sent_another_link(owner_a, reseller_a, mailoutbox):
    acceptance = McaAcceptanceFactory(invitation__customer__reseller=reseller_a)
    with pytest.raises(ValidationError, match="already accepted the MCA"):
        services.mca_send(member=owner_a, customer=acceptance.customer)
    assert mailoutbox == []


@pytest.mark.django_db
def test_guard_refuses_until_accepted(reseller_a):
    customer = CustomerFactory(reseller=reseller_a, company_name="Fabrikam Inc")
    with pytest.raises(ValidationError, match="MCA not accepted for Fabrikam Inc"):
        services.require_mca_accepted(customer)
    customer.mca_status = "sent"
    with pytest.raises(ValidationError, match="MCA not accepted for Fabrikam Inc"):
        services.require_mca_accepted(customer)
    for status in ("accepted", "logged"):
        customer.mca_status = status
        services.require_mca_accepted(customer)


@pytest.mark.django_db
def test_reseller_buttons_in_the_browser(owner_a, customer, client_for):
    client = client_for(owner_a)
    detail = reverse("customers:detail", kwargs={"customer_id": customer.pk})
    response = client.post(
        reverse("customers:mca_send", kwargs={"customer_id": customer.pk}), follow=True
    )
    page = response.content.decode()
    assert "MCA click-through sent to avery@contoso.test" in page and "Resend" in page
    client.post(reverse("customers:mca_revoke", kwargs={"customer_id": customer.pk}))
    page = client.get(detail).content.decode()
    assert "link revoked" in page and "Send MCA click-through" in page


# Operations


@pytest.mark.django_db
def test_ops_queue_marks_logged(client, reseller_a, unscoped, settings):
    settings.STAFF_MFA_REQUIRED = False
    ops = UserFactory(is_staff=True)
    acceptance = McaAcceptanceFactory(
        invitation__customer__reseller=reseller_a, invitation__customer__company_name="Queue Co"
    )
    client.force_login(ops)
    queue = reverse("customers_ops:mca_queue")
    assert "Queue Co" in client.get(queue).content.decode()
    url = reverse("customers_ops:mca_mark_logged", kwargs={"acceptance_id": acceptance.pk})
    assert (
        "Enter the Partner Center reference"
        in client.post(url, {"reference": " "}, follow=True).content.decode()
    )
    client.post(url, {"reference": "PC-7781"})
    with unscoped():
        acceptance.refresh_from_db()
        customer = Customer.objects.get(pk=acceptance.customer_id)
        assert AuditEvent.objects.filter(action="customers.mca.logged").count() == 1
    assert acceptance.partner_center_reference == "PC-7781" and acceptance.logged_by == ops
    assert customer.mca_status == "logged"
    assert f'id="ref-{acceptance.pk}"' not in client.get(queue).content.decode()
    assert "Queue Co" in client.get(queue, {"show": "logged"}).content.decode()
    # logging twice is refused
    with pytest.raises(ValidationError, match="already logged"):
        services.mca_mark_logged(user=ops, acceptance_id=acceptance.pk, reference="again")


@pytest.mark.django_db
def test_only_staff_see_the_ops_queue(owner_a, client_for, reseller_a):
    acceptance = McaAcceptanceFactory(invitation__customer__reseller=reseller_a)
    client = client_for(owner_a)
    assert client.get(reverse("customers_ops:mca_queue")).status_code == 403
    response = client.post(
        reverse("customers_ops:mca_mark_logged", kwargs={"acceptance_id": acceptance.pk}),
        {"reference": "x"},
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.mca_mark_logged(user=owner_a.user, acceptance_id=acceptance.pk, reference="x")
