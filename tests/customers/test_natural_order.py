"""Issue 21 item 1: a new customer's first order in the natural order (create customer → send
MCA → customer accepts → create the tenant → buy). The acceptance is attested in Partner Center
as soon as both it and the tenant exist, whichever comes second; until the customer is ready
the buy page says what is still missing, with a link to do it, and no order is placed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers import links, services
from customers.models import McaAcceptance, McaInvitation
from partner_center.models import SandboxAttestation
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.factories import CustomerFactory
from tests.subscriptions.conftest import PREMIUM


def _accept(customer, unscoped):
    with unscoped():
        invitation = McaInvitation.objects.get(customer=customer, state="active")
    return services.mca_accept(
        token=links.mca_token(invitation),
        first_name="Robin",
        last_name="Kline",
        email=customer.contact_email,
        accepted=True,
    )


def _buy(member, customer, offer, key="first"):
    return subscription_services.subscription_purchase(
        member=member,
        customer=customer,
        offer=offer,
        term="P1Y",
        billing_frequency="monthly",
        quantity=3,
        idempotency_key=key,
    )


@pytest.fixture
def new_customer(owner_a):
    return CustomerFactory(reseller=owner_a.reseller, company_name="Lamna Healthcare")


@pytest.mark.django_db
def test_accepted_before_the_tenant_exists_is_attested_when_the_tenant_is_created(
    owner_a, new_customer, catalog, unscoped, django_capture_on_commit_callbacks
):
    customer = new_customer
    with django_capture_on_commit_callbacks(execute=True):
        services.mca_send(member=owner_a, customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        acceptance = _accept(customer, unscoped)
    customer.refresh_from_db()
    assert customer.mca_status == "accepted" and customer.tenant_id is None
    with pytest.raises(ValidationError, match="has no Microsoft tenant yet"):
        _buy(owner_a, customer, catalog[PREMIUM])

    with django_capture_on_commit_callbacks(execute=True):
        services.customer_create_in_partner_center(member=owner_a, customer=customer)
    customer.refresh_from_db()
    with unscoped():
        acceptance.refresh_from_db()
        assert SandboxAttestation.objects.filter(customer__tenant_id=str(customer.tenant_id))
    assert customer.mca_status == "logged" and acceptance.logged_via == "gateway"

    with django_capture_on_commit_callbacks(execute=True):
        sub = _buy(owner_a, customer, catalog[PREMIUM])
    with unscoped():
        sub.refresh_from_db()
    assert (sub.provisioning, sub.status) == ("provisioned", "active")


@pytest.mark.django_db
def test_tenant_before_the_acceptance_is_attested_when_the_customer_accepts(
    owner_a, new_customer, catalog, unscoped, django_capture_on_commit_callbacks
):
    customer = services.customer_create_in_partner_center(member=owner_a, customer=new_customer)
    with django_capture_on_commit_callbacks(execute=True):
        services.mca_send(member=owner_a, customer=customer)
    with pytest.raises(ValidationError, match="MCA not accepted for Lamna Healthcare"):
        _buy(owner_a, customer, catalog[PREMIUM])
    with django_capture_on_commit_callbacks(execute=True):
        _accept(customer, unscoped)
    customer.refresh_from_db()
    assert customer.mca_status == "logged"


@pytest.mark.django_db
def test_no_order_while_the_acceptance_is_not_attested(
    owner_a, new_customer, catalog, unscoped, settings, django_capture_on_commit_callbacks
):
    """Without the automatic attestation (operations log by hand), the order waits: Partner
    Center would refuse it for want of an attested MCA."""
    settings.MCA_ATTEST_VIA_GATEWAY = False
    customer = services.customer_create_in_partner_center(member=owner_a, customer=new_customer)
    with django_capture_on_commit_callbacks(execute=True):
        services.mca_send(member=owner_a, customer=customer)
        _accept(customer, unscoped)
    customer.refresh_from_db()
    assert customer.mca_status == "accepted"
    with pytest.raises(ValidationError, match="being attested in Partner Center"):
        _buy(owner_a, customer, catalog[PREMIUM])
    with unscoped():
        assert not Subscription.objects.exists()
        assert McaAcceptance.objects.get().logged_at is None


@pytest.mark.django_db
def test_buy_page_says_what_is_missing_with_links(
    owner_a, new_customer, catalog, client_for, unscoped
):
    client = client_for(owner_a)
    customer_page = reverse("customers:detail", kwargs={"customer_id": new_customer.pk})
    page = client.get(
        reverse("subscriptions:purchase") + f"?customer={new_customer.pk}"
    ).content.decode()
    assert 'data-testid="missing"' in page
    assert "MCA not accepted for Lamna Healthcare: send the MCA click-through" in page
    assert f'href="{customer_page}#mca"' in page and "Send the MCA click-through" in page
    assert "Lamna Healthcare has no Microsoft tenant yet." in page
    assert f'href="{customer_page}#tenant"' in page

    quote = client.get(
        reverse("subscriptions:purchase_quote"),
        {"customer": new_customer.pk, "offer": catalog[PREMIUM].pk, "term": "P1Y"},
    ).content.decode()
    assert "Before you can order" in quote and "no Microsoft tenant yet" in quote

    response = client.post(
        reverse("subscriptions:purchase"),
        {
            "customer": new_customer.pk,
            "offer": catalog[PREMIUM].pk,
            "term": "P1Y",
            "billing_frequency": "monthly",
            "quantity": 3,
            "auto_renew": "on",
            "idempotency_key": "page-1",
        },
    )
    assert response.status_code == 200
    assert "MCA not accepted for Lamna Healthcare." in response.content.decode()
    with unscoped():
        assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_buy_page_names_a_program_not_approved(member_of, catalog, client_for):
    from portal.roles import Role
    from tests.factories import ResellerFactory

    reseller = ResellerFactory(programs=("azure-reseller",))
    owner = member_of(reseller, Role.OWNER)
    customer = CustomerFactory(reseller=reseller)
    azure_plan = next(o for o in catalog.values() if o.product_type.code == "azure-plan")
    quote = (
        client_for(owner)
        .get(
            reverse("subscriptions:purchase_quote"),
            {"customer": customer.pk, "offer": azure_plan.pk, "term": azure_plan.term_list[0]},
        )
        .content.decode()
    )
    assert "Microsoft Azure Plan" in quote and f'href="{reverse("programs:list")}"' in quote
