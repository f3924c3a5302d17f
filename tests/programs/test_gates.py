"""Program gates (issue 20, item 6): program access is authorization, enforced in the services;
a refusal names the program to request and links the Programs page; revoking an approval stops
new transactions and leaves existing subscriptions alone; a request records the acceptance of
the program's terms."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from customers import services as customer_services
from customers.models import Customer
from portal.models import AuditEvent, Notification
from portal.roles import Role
from programs import services
from programs.gates import ProgramRequired
from programs.models import ProgramRequest
from subscriptions.models import Subscription
from tests.factories import ResellerFactory
from tests.subscriptions.conftest import AZURE_PLAN, BASIC, PREMIUM, buy_now

CUSTOMER = {
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
def reseller_a(db):
    """A reseller with every program approved (the factory's default)."""
    return ResellerFactory(name="Alpha Cloud")


def buy(member, customer, offer, key="k1", quantity=5):
    return buy_now(
        member=member,
        customer=customer,
        offer=offer,
        term="P1M",
        billing_frequency="monthly",
        quantity=quantity,
        idempotency_key=key,
    )


@pytest.mark.django_db
def test_without_the_base_program_onboarding_is_refused_naming_the_program_with_a_link(
    member_of, client_for
):
    owner = member_of(ResellerFactory(programs=()), Role.OWNER)
    with pytest.raises(
        ProgramRequired,
        match="Microsoft Azure Reseller Program is not approved "
        "for you: request Microsoft Azure Reseller "
        "Program on the Programs page before you "
        "onboard customers",
    ):
        customer_services.customer_create(member=owner, **CUSTOMER)

    response = client_for(owner).post("/customers/new/", CUSTOMER)
    assert response.status_code == 403
    page = response.content.decode()
    assert "request Microsoft Azure Reseller Program on the Programs page" in page
    assert '<a href="/partner/programs/" data-testid="forbidden-link">' in page
    with scopes_disabled():
        assert not Customer.objects.exists()


@pytest.mark.django_db
def test_azure_plan_purchases_need_the_azure_plan_program_other_products_the_base(
    member_of, onboard, catalog
):
    reseller = ResellerFactory(programs=("azure-reseller",))
    owner = member_of(reseller, Role.OWNER)
    customer = onboard(owner)
    with pytest.raises(
        ProgramRequired, match="request Microsoft Azure Plan on the Programs page before you buy it"
    ):
        buy(owner, customer, catalog[AZURE_PLAN])
    assert buy(owner, customer, catalog[PREMIUM]).is_provisioned  # NCE: the base program


@pytest.mark.django_db
def test_a_pending_request_is_not_an_approval(member_of):
    reseller = ResellerFactory(programs=())
    owner = member_of(reseller, Role.OWNER)
    with scopes_disabled():
        ProgramRequest.objects.create(
            reseller=reseller, state="pending", program=_program("azure-reseller")
        )
    with pytest.raises(
        ProgramRequired,
        match="Your request for Microsoft Azure Reseller Program is still pending with operations",
    ):
        customer_services.customer_create(member=owner, **CUSTOMER)


def _program(code):
    from programs.models import Program

    return Program.objects.get(code=code)


@pytest.mark.django_db
def test_revoking_an_approval_stops_new_transactions_and_leaves_subscriptions_alone(
    owner_a,
    reseller_a,
    onboard,
    catalog,
    ops,
    unscoped,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    customer = onboard(owner_a)
    sub = buy(owner_a, customer, catalog[BASIC])
    with unscoped():
        base = ProgramRequest.objects.get(reseller=reseller_a, program__code="azure-reseller")
    with pytest.raises(ValidationError, match="reason"):
        services.program_request_revoke(user=ops, program_request=base, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.program_request_revoke(
            user=ops, program_request=base, reason="Partner agreement lapsed"
        )

    with pytest.raises(
        ProgramRequired,
        match="Operations revoked your access to Microsoft "
        r"Azure Reseller Program on \d{4}-\d\d-\d\d "
        r"\(Partner agreement lapsed\)",
    ):
        buy(owner_a, customer, catalog[PREMIUM], key="k2")
    with pytest.raises(ProgramRequired, match="before you add seats"):
        from subscriptions import services as subscription_services

        subscription_services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=8, idempotency_key="more"
        )
    with pytest.raises(ProgramRequired, match="before you onboard customers"):
        customer_services.customer_create(member=owner_a, **CUSTOMER)
    with unscoped():
        sub.refresh_from_db()
        assert sub.status == Subscription.Status.ACTIVE and sub.quantity == 5
        base.refresh_from_db()
        assert base.state == "revoked" and base.revoked_by == ops
        assert AuditEvent.objects.filter(
            action="programs.request.revoked", reseller=reseller_a
        ).exists()
        assert Notification.objects.filter(
            reseller=reseller_a, title="Microsoft Azure Reseller Program: revoked"
        ).exists()
    assert any("revoked" in m.subject for m in mailoutbox)


@pytest.mark.django_db
def test_ops_revoke_from_the_queue(owner_a, reseller_a, ops, client, unscoped, settings):
    settings.STAFF_MFA_REQUIRED = False
    with unscoped():
        base = ProgramRequest.objects.get(reseller=reseller_a, program__code="azure-reseller")
    client.force_login(ops)
    assert (
        "Revoke Microsoft Azure Reseller Program for"
        in client.get("/ops/programs/?show=all").content.decode()
    )
    response = client.post(
        f"/ops/programs/{base.pk}/revoke/", {"reason": "MPA expired"}, follow=True
    )
    assert "Revoked Microsoft Azure Reseller Program for" in response.content.decode()
    with unscoped():
        base.refresh_from_db()
    assert base.state == "revoked" and base.reason == "MPA expired"


@pytest.mark.django_db
def test_a_program_request_records_the_acceptance_of_its_terms(member_of, client_for, unscoped):
    import datetime as dt

    reseller = ResellerFactory(programs=(), mpa_accepted_on=dt.date(2024, 1, 1))
    owner = member_of(reseller, Role.OWNER)
    base = _program("azure-reseller")
    assert "24 hours a day, 365 days a year" in base.terms and base.terms_version

    page = client_for(owner).get("/partner/programs/").content.decode()
    assert "24 hours a day, 365 days a year" in page
    assert "I accept the program terms and the 24x365 customer-support obligation" in page

    with pytest.raises(
        ValidationError, match="Read and accept the terms of Microsoft Azure Reseller Program"
    ):
        services.program_request_create(member=owner, program=base, accepted_terms_version="")
    response = client_for(owner).post(
        "/partner/programs/request/",
        {"program": base.pk, "terms_version": base.terms_version},
        follow=True,
    )  # box not ticked
    assert "Read and accept the terms" in response.content.decode()
    client_for(owner).post(
        "/partner/programs/request/",
        {"program": base.pk, "terms_version": base.terms_version, "accept_terms": "on"},
    )
    with unscoped():
        request = ProgramRequest.objects.get(reseller=reseller)
    assert request.state == "pending"
    assert request.terms_version == base.terms_version
    assert request.terms_accepted_by == owner.user
    assert request.terms_accepted_at == request.requested_at
