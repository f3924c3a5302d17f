"""Customer tenants (issue 20, item 1): a tenant comes only from Partner Center's answer, one
tenant belongs to one reseller (database constraint), a reseller cannot type or change it, and
operations relink one with a reason (audited), which resets the MCA."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from customers import services
from customers.models import Customer, McaAcceptance
from partner_center.models import SandboxCustomer
from portal.models import AuditEvent
from tests.factories import CustomerFactory

VALID = {
    "company_name": "Lamna Healthcare",
    "country": "US",
    "currency": "USD",
    "address_line1": "1 Main St",
    "city": "Seattle",
    "postal_code": "98101",
    "contact_first_name": "Rita",
    "contact_last_name": "Kim",
    "contact_email": "rita@lamna.test",
    "primary_domain": "lamna.onmicrosoft.com",
}


@pytest.fixture
def victim(owner_b, onboard):
    """Reseller B's customer, with its tenant and an MCA attested in Partner Center."""
    return onboard(owner_b, company_name="Victim Corp")


@pytest.mark.django_db
def test_a_reseller_cannot_type_another_resellers_tenant_id(owner_a, victim, client_for, unscoped):
    mine = CustomerFactory(reseller=owner_a.reseller, company_name="Mine")
    stolen = str(victim.tenant_id)
    with pytest.raises(ValidationError, match="tenant_id is not a field of a customer"):
        services.customer_update(member=owner_a, customer=mine, tenant_id=uuid.UUID(stolen))
    with pytest.raises(ValidationError, match="tenant_id is not a field of a customer"):
        services.customer_create(member=owner_a, **VALID, tenant_id=uuid.UUID(stolen))

    client = client_for(owner_a)
    client.post(
        reverse("customers:edit", kwargs={"customer_id": mine.pk}),
        {**VALID, "company_name": "Mine", "tenant_id": stolen},
    )
    page = client.get(reverse("customers:detail", kwargs={"customer_id": mine.pk}))
    assert stolen not in page.content.decode()
    assert (
        'name="tenant_id"'
        not in client.get(
            reverse("customers:edit", kwargs={"customer_id": mine.pk})
        ).content.decode()
    )
    with unscoped():
        assert Customer.objects.filter(tenant_id=stolen).count() == 1


@pytest.mark.django_db
def test_the_database_holds_one_customer_per_tenant(victim, reseller_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(reseller=reseller_a, tenant_id=victim.tenant_id)


@pytest.mark.django_db
def test_linking_takes_the_tenant_partner_center_lists_for_this_reseller(
    owner_a, owner_b, victim, client_for, unscoped
):
    # B's customer's domain, claimed by A: Partner Center does not list it for A
    copy = CustomerFactory(reseller=owner_a.reseller, primary_domain=victim.primary_domain)
    with pytest.raises(
        ValidationError,
        match=f"Partner Center has no customer "
        f"{victim.primary_domain} of the distributor with "
        "your partner ID",
    ):
        services.customer_link_tenant(member=owner_a, customer=copy)

    # A's own customer that exists in Partner Center for A (e.g. created elsewhere before)
    existing = SandboxCustomer.objects.create(
        company_name="Lamna Healthcare",
        domain="lamna.onmicrosoft.com",
        country="US",
        currency="USD",
        reseller_mpn_id=owner_a.reseller.partner_id,
    )
    lamna = CustomerFactory(reseller=owner_a.reseller, primary_domain="lamna.onmicrosoft.com")
    page = client_for(owner_a).post(
        reverse("customers:link_tenant", kwargs={"customer_id": lamna.pk}), follow=True
    )
    assert (
        f"Microsoft tenant linked from Partner Center: {existing.tenant_id}."
        in page.content.decode()
    )
    with unscoped():
        lamna.refresh_from_db()
        assert str(lamna.tenant_id) == existing.tenant_id
        assert AuditEvent.objects.filter(
            action="customers.customer.tenant_linked", reseller=owner_a.reseller
        ).exists()


@pytest.mark.django_db
def test_operations_relink_with_a_reason_audited_and_the_mca_starts_again(
    owner_a, victim, ops, client, settings, unscoped
):
    settings.STAFF_MFA_REQUIRED = False
    other = SandboxCustomer.objects.create(
        company_name="Victim Corp",
        domain="victim-new.onmicrosoft.com",
        country="CA",
        currency="CAD",
        reseller_mpn_id=victim.reseller.partner_id,
    )
    assert victim.mca_status == "logged"
    with pytest.raises(ValidationError, match="reason"):
        services.customer_relink_tenant(
            user=ops, customer_id=victim.pk, tenant_id=other.tenant_id, reason=""
        )
    with pytest.raises(ValidationError, match="Partner Center has no customer"):
        services.customer_relink_tenant(
            user=ops, customer_id=victim.pk, tenant_id=str(uuid.uuid4()), reason="Typo"
        )
    old = str(victim.tenant_id)

    client.force_login(ops)
    url = reverse("customers_ops:tenant_relink", kwargs={"customer_id": victim.pk})
    assert old in client.get(url).content.decode()
    page = client.post(
        url,
        {"tenant_id": other.tenant_id, "reason": "Customer migrated to a new tenant"},
        follow=True,
    )
    assert "its MCA starts again" in page.content.decode()
    with unscoped():
        victim.refresh_from_db()
        assert str(victim.tenant_id) == other.tenant_id
        assert victim.mca_status == "not_sent"
        assert not McaAcceptance.objects.filter(customer=victim).exists()
        event = AuditEvent.objects.get(action="customers.customer.tenant_relinked")
    assert event.actor == ops and event.reseller == victim.reseller
    assert event.data["before"] == old and event.data["after"] == other.tenant_id
    assert event.data["reason"] == "Customer migrated to a new tenant"
    assert event.data["previous_mca"]["reference"]


@pytest.mark.django_db
def test_the_transfer_page_lists_no_subscriptions_of_a_tenant_not_yours(
    owner_a, victim, client_for
):
    copy = CustomerFactory(
        reseller=owner_a.reseller, company_name="Copycat", primary_domain=victim.primary_domain
    )
    page = (
        client_for(owner_a)
        .post(
            reverse("subscriptions:transfer_request"),
            {"customer": copy.pk, "source_partner_id": victim.reseller.partner_id},
        )
        .content.decode()
    )
    assert f"Partner Center does not list {victim.primary_domain} as your customer" in page
    assert "Request the transfer" not in page


@pytest.mark.django_db
def test_a_completed_transfer_moves_the_tenant_to_the_target(
    owner_a, owner_b, victim, catalog, unscoped
):
    from partner_center.sandbox import SandboxGateway
    from subscriptions.transfers import services as transfers
    from tests.subscriptions.conftest import PREMIUM, buy_now

    sub = buy_now(
        member=owner_b,
        customer=victim,
        offer=catalog[PREMIUM],
        term="P1M",
        billing_frequency="monthly",
        quantity=3,
        idempotency_key="b-1",
    )
    ours = CustomerFactory(
        reseller=owner_a.reseller, primary_domain=victim.primary_domain, currency="CAD"
    )
    SandboxGateway().accept_relationship(str(victim.tenant_id), owner_a.reseller.partner_id)
    transfer = transfers.transfer_request(
        member=owner_a,
        customer=ours,
        source_partner_id=owner_b.reseller.partner_id,
        subscription_ids=[sub.partner_center_id],
        idempotency_key="t-1",
    )
    transfers.transfer_decide(actor=owner_b, transfer=transfer, approve=True)
    with unscoped():
        ours.refresh_from_db()
        victim.refresh_from_db()
    assert str(ours.tenant_id) == str(transfer.tenant_id) and victim.tenant_id is None
