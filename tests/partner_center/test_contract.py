"""The gateway contract, run against SandboxGateway and against HttpGateway talking to a fake
Partner Center built from Microsoft's documentation alone (microsoft/server.py; it imports
none of our code). What a caller of the gateway may rely on, whichever is behind it."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from partner_center.errors import AlreadyAttested, GatewayError, OrderPending, ValidationFailed
from partner_center.gateway import attest_mca_once
from partner_center.sandbox import SandboxGateway
from partner_center.types import (
    DELETED,
    TRANSFER_ACTIVE,
    TRANSFER_CANCELLED,
    TRANSFER_COMPLETED,
    TRANSFER_EXPIRED,
    Address,
    NextTerm,
    ResellerRelationship,
    TransferRequest,
)
from tests.factories import ResellerFactory
from tests.partner_center.conftest import BASIC, E3, acceptance, customer_request, order

MCA_TEMPLATE = "117a77b0-9360-443b-8795-c6dedc750cf9"  # get-customer-agreement-metadata


def test_customer_is_created_with_its_one_time_admin_account(gw):
    req = customer_request(company_name="Wingtip Toys", domain="WingtipToys.onmicrosoft.com")
    info = gw.create_customer(req, idempotency_key="c-1")
    assert len(info.tenant_id) == 36
    assert (info.company_name, info.domain) == ("Wingtip Toys", "wingtiptoys.onmicrosoft.com")
    assert info.admin_user_name and info.admin_password
    again = gw.get_customer(info.tenant_id)
    assert (again.tenant_id, again.company_name, again.domain) == (
        info.tenant_id,
        "Wingtip Toys",
        "wingtiptoys.onmicrosoft.com",
    )
    assert again.admin_password == ""  # only the creation's answer carries it


def test_mca_template_id_and_attestation_600061_only_for_the_same_contact(gw, offers):
    assert gw.get_mca_template_id() == MCA_TEMPLATE
    info = gw.create_customer(customer_request(), idempotency_key="c-2")
    first = gw.attest_mca(info.tenant_id, acceptance())
    assert (first.tenant_id, first.template_id) == (info.tenant_id, MCA_TEMPLATE)
    assert first.date_agreed == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with pytest.raises(AlreadyAttested) as e:
        gw.attest_mca(info.tenant_id, acceptance())
    assert e.value.code == 600061
    assert attest_mca_once(gw, info.tenant_id, acceptance()).already_attested is True
    changed = gw.attest_mca(info.tenant_id, acceptance(email="grace@contoso.example"))
    assert changed.already_attested is False


def test_attestation_in_the_future_is_refused(gw, offers):
    info = gw.create_customer(customer_request(), idempotency_key="c-3")
    with pytest.raises(ValidationFailed):
        gw.attest_mca(info.tenant_id, acceptance(date_agreed=datetime.now(UTC) + timedelta(days=2)))


def test_no_purchase_before_the_mca_is_attested(gw, offers):
    info = gw.create_customer(customer_request(), idempotency_key="c-4")
    with pytest.raises(ValidationFailed):
        gw.create_order(info.tenant_id, order(), idempotency_key="o-0")


def test_purchase_returns_the_provisioned_subscription_once(gw, customer):
    sub = gw.create_order(
        customer.tenant_id,
        order(E3, 5, term="P1Y", partner_id_on_record="4847383"),
        idempotency_key="o-1",
    )
    assert (sub.offer_sku, sub.quantity, sub.term, sub.billing_frequency, sub.status) == (
        E3,
        5,
        "P1Y",
        "monthly",
        "active",
    )
    assert sub.auto_renew is True
    assert sub.created_at.tzinfo is not None
    assert isinstance(sub.term_start, date) and sub.term_end > sub.term_start
    assert sub.refundable_quantity == 5
    assert sub.cancellation_allowed_until > sub.created_at
    assert (
        gw.create_order(
            customer.tenant_id,
            order(E3, 5, term="P1Y", partner_id_on_record="4847383"),
            idempotency_key="o-1",
        ).subscription_id
        == sub.subscription_id
    )
    assert [s.subscription_id for s in gw.get_subscriptions(customer.tenant_id)] == [
        sub.subscription_id
    ]
    assert (
        gw.get_subscription(customer.tenant_id, sub.subscription_id)
        == gw.get_subscriptions(customer.tenant_id)[0]
    )


def test_seat_change_cancel_and_auto_renew(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 5), idempotency_key="o-2")
    more = gw.change_quantity(customer.tenant_id, sub.subscription_id, 8, idempotency_key="q-1")
    assert more.quantity == 8
    off = gw.set_auto_renew(customer.tenant_id, sub.subscription_id, False)
    assert off.auto_renew is False and off.quantity == 8
    cancelled = gw.cancel_subscription(
        customer.tenant_id, sub.subscription_id, idempotency_key="x-1"
    )
    assert cancelled.status == DELETED
    assert gw.get_subscriptions(customer.tenant_id)[0].status == DELETED


def test_billing_frequency_change(gw, customer):
    sub = gw.create_order(
        customer.tenant_id,
        order(E3, 5, term="P3Y", billing_frequency="annual"),
        idempotency_key="o-3",
    )
    monthly = gw.change_term(
        customer.tenant_id,
        sub.subscription_id,
        term="P3Y",
        billing_frequency="monthly",
        idempotency_key="t-1",
    )
    assert (monthly.term, monthly.billing_frequency) == ("P3Y", "monthly")


def test_renewal_changes_are_scheduled_not_applied(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 10, term="P1Y"), idempotency_key="o-4")
    scheduled = gw.schedule_next_term(
        customer.tenant_id,
        sub.subscription_id,
        quantity=6,
        term="P1Y",
        billing_frequency="annual",
        idempotency_key="n-1",
    )
    assert scheduled.quantity == 10  # today's seats stay until renewal
    assert scheduled.next_term == NextTerm(quantity=6, term="P1Y", billing_frequency="annual")
    assert (
        gw.get_subscription(customer.tenant_id, sub.subscription_id).next_term
        == scheduled.next_term
    )


def test_scheduling_needs_auto_renew(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 10), idempotency_key="o-5")
    gw.set_auto_renew(customer.tenant_id, sub.subscription_id, False)
    with pytest.raises(GatewayError):
        gw.schedule_next_term(
            customer.tenant_id,
            sub.subscription_id,
            quantity=6,
            term="P1Y",
            billing_frequency="monthly",
            idempotency_key="n-2",
        )


def test_upgrade_options_and_a_partial_upgrade(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(BASIC, 10), idempotency_key="o-6")
    options = gw.get_transition_options(customer.tenant_id, sub.subscription_id)
    target = next(o for o in options if o.eligible)
    assert target.transition_types == ["transition_only"] and target.title
    result = gw.transition(
        customer.tenant_id,
        sub.subscription_id,
        to_catalog_item_id=target.catalog_item_id,
        quantity=4,
        idempotency_key="u-1",
    )
    assert (result.from_subscription_id, result.quantity, result.transition_type) == (
        sub.subscription_id,
        4,
        "transition_only",
    )
    assert result.to_catalog_item_id == target.catalog_item_id
    with pytest.raises(ValidationFailed):
        gw.transition(
            customer.tenant_id,
            sub.subscription_id,
            to_catalog_item_id=target.catalog_item_id,
            quantity=11,
            idempotency_key="u-2",
        )


@time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False)
def test_times_are_aware_utc(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 1), idempotency_key="o-7")
    assert sub.created_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert sub.term_start == date(2026, 3, 2)


def test_an_order_still_provisioning_completes_on_a_later_check_once(
    gw, customer, request, settings
):
    """Partner Center's orders are "pending" while it provisions them; asking again with the
    same key gives the subscription, and only one exists."""
    if isinstance(gw, SandboxGateway):
        settings.PARTNER_CENTER_SANDBOX_ORDER_CHECKS = 1
    else:
        request.getfixturevalue("ms").polls_until_complete = gw.poll_attempts + 1
    with pytest.raises(OrderPending):
        gw.create_order(customer.tenant_id, order(E3, 4), idempotency_key="o-p")
    sub = gw.create_order(customer.tenant_id, order(E3, 4), idempotency_key="o-p")
    assert (sub.quantity, sub.status) == (4, "active")
    assert [s.subscription_id for s in gw.get_subscriptions(customer.tenant_id)] == [
        sub.subscription_id
    ]


def test_domain_availability(gw, offers):
    assert gw.is_domain_available("fabrikam-new.onmicrosoft.com") is True
    gw.create_customer(
        customer_request(domain="fabrikam-new.onmicrosoft.com"), idempotency_key="c-d"
    )
    assert gw.is_domain_available("fabrikam-new.onmicrosoft.com") is False


def test_address_validation(gw, offers):
    good = gw.validate_address(Address("1 Microsoft Way", "Redmond", "WA", "98052", "US"))
    assert (good.verified, good.status) == (True, "VerifiedShippable")
    partial = gw.validate_address(Address("Microsoft Way", "Redmond", "WA", "98052", "US"))
    assert (partial.verified, partial.status) == (False, "StreetPartial")
    assert partial.message.startswith("Address field invalid for property:")


@pytest.fixture
def first_up(db):
    """The indirect reseller of Microsoft's examples, known to the portal."""
    return ResellerFactory(
        name="First Up Consultants",
        partner_id="4847383",
        country="US",
        tenant_id="484e548c-f5f3-4528-93a9-c16c6373cb59",
    )


def test_indirect_resellers_and_a_customers_reseller(gw, first_up, customer):
    expected = ResellerRelationship(
        tenant_id="484e548c-f5f3-4528-93a9-c16c6373cb59",
        name="First Up Consultants",
        mpn_id="4847383",
        location="US",
        state="Active",
    )
    assert expected in gw.list_indirect_resellers()
    (relationship,) = gw.get_customer_resellers(customer.tenant_id)
    assert (relationship.tenant_id, relationship.mpn_id) == (expected.tenant_id, "4847383")


def test_relationship_request_link(gw):
    link = gw.get_relationship_request_link()
    assert link.startswith(
        "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId="
    )
    assert link.endswith("#/BillingAccounts/partner-invitation")


def test_an_immediate_seat_change_replaces_what_was_scheduled(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 10, term="P1Y"), idempotency_key="o-8")
    gw.schedule_next_term(
        customer.tenant_id,
        sub.subscription_id,
        quantity=6,
        term="P1Y",
        billing_frequency="monthly",
        idempotency_key="n-3",
    )
    changed = gw.change_quantity(customer.tenant_id, sub.subscription_id, 12, idempotency_key="q-8")
    assert (changed.quantity, changed.next_term) == (12, None)


# --- New Commerce transfers, both directions (create-a-transfer, get-transfer-by-id,
# get-all-of-a-customer-s-transfers, update-a-transfer, accept-a-transfer) ------------------

SOURCE_TENANT = "da6c51b5-1246-4a42-b4ab-cbf38df54537"  # create-a-transfer's example partner


def transfer_request(ids, **overrides) -> TransferRequest:
    base = TransferRequest(
        source_partner_tenant_id=SOURCE_TENANT,
        source_partner_name="Fabrikam Cloud",
        customer_email="ada@contoso.example",
        subscription_ids=ids,
        customer_name="Contoso",
        partner_id_on_record="4847383",
    )
    return replace(base, **overrides)


def test_the_receiving_partner_requests_lists_and_cancels_a_transfer(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 5), idempotency_key="o-t1")
    asked = gw.create_transfer(
        customer.tenant_id, transfer_request([sub.subscription_id]), idempotency_key="tr-1"
    )
    assert asked.status == TRANSFER_ACTIVE
    assert asked.subscription_ids == [sub.subscription_id]
    assert (asked.source_partner_tenant_id, asked.source_partner_name) == (
        SOURCE_TENANT,
        "Fabrikam Cloud",
    )
    assert asked.customer_email == "ada@contoso.example"
    assert asked.transfer_type == "NewCommerce"
    assert asked.created_at.tzinfo is not None
    assert timedelta(days=29) < asked.expires_at - asked.created_at <= timedelta(days=30)
    assert gw.get_transfer(customer.tenant_id, asked.transfer_id) == asked
    assert [t.transfer_id for t in gw.list_transfers(customer.tenant_id)] == [asked.transfer_id]
    cancelled = gw.cancel_transfer(customer.tenant_id, asked.transfer_id)
    assert cancelled.status == TRANSFER_CANCELLED
    assert gw.get_transfer(customer.tenant_id, asked.transfer_id).status == TRANSFER_CANCELLED
    with pytest.raises(GatewayError):
        gw.cancel_transfer(customer.tenant_id, asked.transfer_id)


def test_the_sourcing_partner_accepts_a_transfer_once(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 5), idempotency_key="o-t2")
    asked = gw.create_transfer(
        customer.tenant_id, transfer_request([sub.subscription_id]), idempotency_key="tr-2"
    )
    done = gw.accept_transfer(
        customer.tenant_id,
        asked.transfer_id,
        subscription_ids=[sub.subscription_id],
        idempotency_key="acc-1",
    )
    assert done.status == TRANSFER_COMPLETED and done.completed_at is not None
    assert done.subscription_ids == [sub.subscription_id]
    again = gw.accept_transfer(
        customer.tenant_id,
        asked.transfer_id,
        subscription_ids=[sub.subscription_id],
        idempotency_key="acc-1",
    )
    assert again.status == TRANSFER_COMPLETED


@pytest.mark.parametrize(
    "overrides",
    [
        {"source_partner_tenant_id": "4847383"},  # an MPN ID is not the partner tenant GUID
        {"customer_email": "not an address"},
        {"subscription_ids": [f"s-{i}" for i in range(26)]},
    ],
)
def test_a_transfer_request_needs_microsofts_fields(gw, customer, overrides):
    with pytest.raises(ValidationFailed):
        gw.create_transfer(
            customer.tenant_id,
            transfer_request(["s-1"], **overrides),
            idempotency_key=f"tr-bad-{len(str(overrides))}",
        )


def test_an_unanswered_transfer_expires(gw, customer):
    with time_machine.travel(datetime(2026, 4, 1, 12, 0, tzinfo=UTC), tick=False) as clock:
        asked = gw.create_transfer(
            customer.tenant_id, transfer_request(["s-1"]), idempotency_key="tr-3"
        )
        clock.move_to(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
        assert gw.get_transfer(customer.tenant_id, asked.transfer_id).status == TRANSFER_EXPIRED
        with pytest.raises(GatewayError):
            gw.cancel_transfer(customer.tenant_id, asked.transfer_id)


# --- catalog: get-a-list-of-products, get-a-list-of-skus-for-a-product,
# get-a-list-of-availabilities-for-a-sku ---------------------------------------------------


def test_the_catalog_lists_products_skus_and_their_availabilities(gw, request):
    if not isinstance(gw, SandboxGateway):  # Microsoft's catalog, as the fake serves it
        request.getfixturevalue("ms").products_catalog = {
            "OnlineServices": {
                "CFQ7TTC0LH18": ("Microsoft 365 Business Basic", [("0001", "Basic", 1, 300)])
            }
        }
    products = gw.list_products(country="US", target_view="OnlineServices")
    basic = next(p for p in products if p.product_id == "CFQ7TTC0LH18")
    assert basic.title and basic.product_type == "OnlineServices"
    (sku,) = [s for s in gw.list_skus("CFQ7TTC0LH18", country="US") if s.sku_id == "0001"]
    assert (sku.min_quantity, sku.max_quantity) == (1, 300)
    (availability,) = gw.list_availabilities("CFQ7TTC0LH18", "0001", country="US")
    product, sku_id, availability_id = availability.catalog_item_id.split(":")
    assert (product, sku_id, availability_id) == (
        "CFQ7TTC0LH18",
        "0001",
        availability.availability_id,
    )
    assert availability.purchasable and any(t.startswith("P1Y:") for t in availability.terms)
    with pytest.raises(GatewayError):
        gw.list_skus("NOPRODUCT000", country="US")
