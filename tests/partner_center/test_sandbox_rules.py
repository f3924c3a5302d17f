"""Partner Center's business rules as the sandbox applies them (168-hour windows, seat caps,
terms, transfers, usage). Partner Center's wire shapes are proven in test_contract.py."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from partner_center import errors
from partner_center.errors import (
    AlreadyAttested,
    Conflict,
    NotFound,
    ValidationFailed,
)
from partner_center.gateway import attest_mca_once, iter_usage
from partner_center.sandbox import SandboxGateway
from partner_center.types import DELETED, TransferRequest
from tests.partner_center.conftest import (
    AZURE_PLAN,
    BASIC,
    E3,
    LEGACY,
    STANDARD,
    acceptance,
    customer_request,
    order,
)

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def gw(offers):
    return SandboxGateway()


def test_create_and_get_customer(gw):
    req = customer_request(company_name="Fabrikam Ltd", domain="Fabrikam.onmicrosoft.com")
    info = gw.create_customer(req, idempotency_key="c-1")
    assert len(info.tenant_id) == 36
    assert (info.company_name, info.domain) == ("Fabrikam Ltd", "fabrikam.onmicrosoft.com")
    assert info.admin_user_name == "admin@fabrikam.onmicrosoft.com" and info.admin_password
    assert gw.get_customer(info.tenant_id) == replace(info, admin_user_name="", admin_password="")


def test_create_customer_replay_returns_the_same_tenant(gw):
    req = customer_request()
    first = gw.create_customer(req, idempotency_key="c-2")
    # the replay gives the same tenant, but the one-time password is never given twice
    assert gw.create_customer(req, idempotency_key="c-2") == replace(first, admin_password="")
    with pytest.raises(Conflict) as e:  # another key: the domain is taken
        gw.create_customer(req, idempotency_key="c-3")
    assert e.value.code == errors.DOMAIN_TAKEN
    assert "already in use" in e.value.message


def test_create_customer_rejects_an_associated_partner_that_is_not_a_tenant_id(gw):
    with pytest.raises(ValidationFailed) as e:
        gw.create_customer(customer_request(associated_partner_id="1234567"), idempotency_key="c-4")
    assert "'1234567' must be the indirect reseller's tenant ID" in e.value.message


def test_unknown_customer_is_not_found(gw):
    with pytest.raises(NotFound) as e:
        gw.get_customer(UNKNOWN)
    assert e.value.code == errors.CUSTOMER_NOT_FOUND
    assert UNKNOWN in e.value.message


def test_duplicate_attestation_is_600061(gw, offers):
    info = gw.create_customer(customer_request(), idempotency_key="c-5")
    first = gw.attest_mca(info.tenant_id, acceptance())
    assert (first.tenant_id, first.already_attested) == (info.tenant_id, False)
    assert first.date_agreed == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with pytest.raises(AlreadyAttested) as e:
        gw.attest_mca(info.tenant_id, acceptance())
    assert e.value.code == 600061
    assert attest_mca_once(gw, info.tenant_id, acceptance()).already_attested is True


def test_attestation_date_may_not_be_in_the_future(gw, offers):
    info = gw.create_customer(customer_request(), idempotency_key="c-6")
    future = datetime.now(UTC) + timedelta(days=2)
    with pytest.raises(ValidationFailed, match="in the future"):
        gw.attest_mca(info.tenant_id, acceptance(date_agreed=future))


def test_no_order_before_the_mca_is_attested(gw, offers):
    info = gw.create_customer(customer_request(), idempotency_key="c-7")
    with pytest.raises(ValidationFailed) as e:
        gw.create_order(info.tenant_id, order(), idempotency_key="o-1")
    assert e.value.code == errors.MCA_REQUIRED


@time_machine.travel(datetime(2026, 1, 31, 10, 0, tzinfo=UTC), tick=False)
def test_order_creates_one_subscription_even_when_replayed(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 5, term="P1M"), idempotency_key="o-2")
    assert (sub.offer_sku, sub.quantity, sub.term, sub.status) == (E3, 5, "P1M", "active")
    assert (sub.term_start, sub.term_end) == (date(2026, 1, 31), date(2026, 2, 27))
    assert sub.auto_renew is True
    assert (
        gw.create_order(customer.tenant_id, order(E3, 5, term="P1M"), idempotency_key="o-2") == sub
    )
    assert gw.get_subscriptions(customer.tenant_id) == [sub]


def test_reusing_an_idempotency_key_for_another_order_is_refused(gw, customer):
    gw.create_order(customer.tenant_id, order(E3, 5), idempotency_key="o-3")
    with pytest.raises(Conflict) as e:
        gw.create_order(customer.tenant_id, order(E3, 6), idempotency_key="o-3")
    assert e.value.code == errors.IDEMPOTENCY_MISMATCH


def test_order_rules(gw, customer):
    with pytest.raises(NotFound, match="NOPE:0001"):
        gw.create_order(customer.tenant_id, order("NOPE:0001"), idempotency_key="o-4")
    with pytest.raises(ValidationFailed, match="above this offer's maximum of 300"):
        gw.create_order(customer.tenant_id, order(BASIC, 301), idempotency_key="o-5")
    with pytest.raises(ValidationFailed, match="below this offer's minimum of 1"):
        gw.create_order(customer.tenant_id, order(E3, 0), idempotency_key="o-6")
    with pytest.raises(ValidationFailed, match="P3Y"):
        gw.create_order(customer.tenant_id, order(BASIC, term="P3Y"), idempotency_key="o-7")
    with pytest.raises(ValidationFailed, match="cannot be billed triennial"):
        gw.create_order(
            customer.tenant_id,
            order(E3, term="P1Y", billing_frequency="triennial"),
            idempotency_key="o-8",
        )
    with pytest.raises(ValidationFailed, match="cannot be bought"):
        gw.create_order(customer.tenant_id, order(LEGACY), idempotency_key="o-9")
    assert gw.get_subscriptions(customer.tenant_id) == []


def test_business_seat_cap_counts_basic_and_standard_together(gw, customer):
    basic = gw.create_order(customer.tenant_id, order(BASIC, 200), idempotency_key="o-10")
    with pytest.raises(ValidationFailed) as e:
        gw.create_order(customer.tenant_id, order(STANDARD, 101), idempotency_key="o-11")
    assert e.value.code == errors.SEAT_CAP_EXCEEDED
    assert "capped at 300" in e.value.message and "at most 100 more" in e.value.message
    gw.create_order(customer.tenant_id, order(STANDARD, 100), idempotency_key="o-12")
    with pytest.raises(ValidationFailed, match="capped at 300"):
        gw.change_quantity(customer.tenant_id, basic.subscription_id, 201, idempotency_key="q-1")
    # Seats of other offers do not count.
    gw.create_order(customer.tenant_id, order(E3, 500), idempotency_key="o-13")


def test_change_quantity_and_decrease_inside_the_window(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 5), idempotency_key="o-14")
    more = gw.change_quantity(customer.tenant_id, sub.subscription_id, 8, idempotency_key="q-2")
    assert more.quantity == 8
    again = gw.change_quantity(customer.tenant_id, sub.subscription_id, 8, idempotency_key="q-2")
    assert again == more
    fewer = gw.change_quantity(customer.tenant_id, sub.subscription_id, 3, idempotency_key="q-3")
    assert fewer.quantity == 3
    assert gw.get_subscriptions(customer.tenant_id)[0].quantity == 3


def test_seat_decrease_after_the_window_is_a_conflict_naming_when_it_closed(gw, customer):
    with time_machine.travel(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tick=False) as clock:
        sub = gw.create_order(customer.tenant_id, order(E3, 10), idempotency_key="o-15")
        clock.move_to(datetime(2026, 3, 9, 7, 59, tzinfo=UTC))  # 167h59m: still open
        gw.change_quantity(customer.tenant_id, sub.subscription_id, 9, idempotency_key="q-4")
        clock.move_to(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))  # 168h00m: closed
        with pytest.raises(Conflict) as e:
            gw.change_quantity(customer.tenant_id, sub.subscription_id, 8, idempotency_key="q-5")
    assert e.value.code == errors.WINDOW_CLOSED
    assert "closed on 2026-03-09 08:00 UTC" in e.value.message
    assert gw.get_subscriptions(customer.tenant_id)[0].quantity == 9


def test_cancel_inside_the_window_then_refused_when_cancelled(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 5), idempotency_key="o-16")
    cancelled = gw.cancel_subscription(
        customer.tenant_id, sub.subscription_id, idempotency_key="x-1"
    )
    assert cancelled.status == DELETED
    assert (
        gw.cancel_subscription(customer.tenant_id, sub.subscription_id, idempotency_key="x-1")
        == cancelled
    )
    with pytest.raises(Conflict, match="already deleted"):
        gw.cancel_subscription(customer.tenant_id, sub.subscription_id, idempotency_key="x-2")


def test_cancel_after_the_window_names_the_instant_it_closed(gw, customer):
    with time_machine.travel(datetime(2026, 6, 18, 14, 0, tzinfo=UTC), tick=False) as clock:
        sub = gw.create_order(customer.tenant_id, order(E3, 5), idempotency_key="o-17")
        clock.move_to(datetime(2026, 6, 25, 14, 0, tzinfo=UTC))
        with pytest.raises(Conflict) as e:
            gw.cancel_subscription(customer.tenant_id, sub.subscription_id, idempotency_key="x-3")
    assert e.value.message == "The cancellation window closed on 2026-06-25 14:00 UTC."


def test_set_auto_renew(gw, customer):
    sub = gw.create_order(customer.tenant_id, order(E3, 5), idempotency_key="o-18")
    off = gw.set_auto_renew(customer.tenant_id, sub.subscription_id, False)
    assert off.auto_renew is False
    assert gw.get_subscriptions(customer.tenant_id)[0].auto_renew is False


def test_term_lengthens_from_today_and_is_never_shortened(gw, customer):
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        sub = gw.create_order(customer.tenant_id, order(E3, 5, term="P1M"), idempotency_key="o-t1")
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False):
        longer = gw.change_term(
            customer.tenant_id,
            sub.subscription_id,
            term="P1Y",
            billing_frequency="annual",
            idempotency_key="t-1",
        )
        assert (longer.term, longer.billing_frequency, longer.quantity) == ("P1Y", "annual", 5)
        assert (longer.term_start, longer.term_end) == (date(2026, 3, 10), date(2027, 3, 9))
        assert (
            gw.change_term(
                customer.tenant_id,
                sub.subscription_id,
                term="P1Y",
                billing_frequency="annual",
                idempotency_key="t-1",
            )
            == longer
        )
        with pytest.raises(ValidationFailed) as e:
            gw.change_term(
                customer.tenant_id,
                sub.subscription_id,
                term="P1M",
                billing_frequency="monthly",
                idempotency_key="t-2",
            )
        assert e.value.message == (
            "A P1Y term cannot be shortened to P1M mid-term; it can only be lengthened."
        )
        with pytest.raises(ValidationFailed) as e:
            gw.change_term(
                customer.tenant_id,
                sub.subscription_id,
                term="P3Y",
                billing_frequency="weekly",
                idempotency_key="t-3",
            )
        assert "cannot be billed weekly" in e.value.message
        assert gw.get_subscriptions(customer.tenant_id)[0] == longer


def test_billing_frequency_changes_alone(gw, customer):
    sub = gw.create_order(
        customer.tenant_id,
        order(E3, 5, term="P3Y", billing_frequency="annual"),
        idempotency_key="o-t2",
    )
    monthly = gw.change_term(
        customer.tenant_id,
        sub.subscription_id,
        term="P3Y",
        billing_frequency="monthly",
        idempotency_key="t-4",
    )
    assert (monthly.term, monthly.billing_frequency) == ("P3Y", "monthly")
    assert (monthly.term_start, monthly.term_end) == (sub.term_start, sub.term_end)
    with pytest.raises(ValidationFailed) as e:
        gw.change_term(
            customer.tenant_id,
            sub.subscription_id,
            term="P3Y",
            billing_frequency="monthly",
            idempotency_key="t-5",
        )
    assert "already P3Y, billed monthly" in e.value.message


def test_unknown_subscription_is_not_found(gw, customer):
    with pytest.raises(NotFound) as e:
        gw.change_quantity(customer.tenant_id, UNKNOWN, 3, idempotency_key="q-6")
    assert e.value.code == errors.SUBSCRIPTION_NOT_FOUND
    with pytest.raises(NotFound):
        gw.cancel_subscription(customer.tenant_id, UNKNOWN, idempotency_key="x-4")


SOURCE = "da6c51b5-1246-4a42-b4ab-cbf38df54537"  # a partner tenant GUID (create-a-transfer)


def test_transfer_lifecycle(gw, customer):
    with time_machine.travel(datetime(2026, 4, 1, 12, 0, tzinfo=UTC), tick=False):
        req = TransferRequest(SOURCE, "Fabrikam", "ada@contoso.example", ["s-1", "s-2"])
        transfer = gw.create_transfer(customer.tenant_id, req, idempotency_key="t-1")
        assert transfer.status == "Active"
        assert transfer.subscription_ids == ["s-1", "s-2"]
        assert transfer.expires_at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
        assert gw.create_transfer(customer.tenant_id, req, idempotency_key="t-1") == transfer
        assert gw.get_transfer(customer.tenant_id, transfer.transfer_id) == transfer
        canceled = gw.cancel_transfer(customer.tenant_id, transfer.transfer_id)
        assert canceled.status == "Cancelled"
        with pytest.raises(Conflict, match="only an Active transfer"):
            gw.cancel_transfer(customer.tenant_id, transfer.transfer_id)
    with pytest.raises(NotFound):
        gw.get_transfer(customer.tenant_id, UNKNOWN)


def test_transfer_of_more_than_25_items_is_refused(gw, customer):
    ids = [f"sub-{i}" for i in range(26)]
    with pytest.raises(ValidationFailed) as e:
        gw.create_transfer(
            customer.tenant_id,
            TransferRequest(SOURCE, "Fabrikam", "ada@contoso.example", ids),
            idempotency_key="t-2",
        )
    assert e.value.code == errors.TRANSFER_TOO_LARGE
    assert "at most 25" in e.value.message and "has 26" in e.value.message
    ok = gw.create_transfer(
        customer.tenant_id,
        TransferRequest(SOURCE, "Fabrikam", "ada@contoso.example", ids[:25]),
        idempotency_key="t-3",
    )
    assert len(ok.subscription_ids) == 25


def test_usage_pages_cover_every_line_once(gw, customer):
    with time_machine.travel(datetime(2026, 5, 1, tzinfo=UTC), tick=False):
        plans = [
            gw.create_order(
                customer.tenant_id, order(AZURE_PLAN, 1, term="P1M"), idempotency_key=f"az-{i}"
            )
            for i in range(3)
        ]
    start, end = date(2026, 5, 1), date(2026, 5, 10)
    lines = list(iter_usage(gw, start=start, end=end, tenant_id=customer.tenant_id, page_size=7))
    keys = {(x.subscription_id, x.usage_date, x.meter_id) for x in lines}
    assert len(lines) == len(keys) == 3 * 10 * 5
    assert {x.subscription_id for x in lines} == {p.subscription_id for p in plans}
    assert min(x.usage_date for x in lines) == start and max(x.usage_date for x in lines) == end
    line = lines[0]
    assert line.customer_id == customer.tenant_id and line.billing_currency == "USD"
    assert line.billing_pre_tax_total == (line.quantity * line.unit_price).quantize(
        line.billing_pre_tax_total.__class__("0.0000000001")
    )
    first = gw.fetch_usage(start=start, end=end, tenant_id=customer.tenant_id, page_size=7)
    assert first.lines == lines[:7] and first.continuation_token


def test_usage_rejects_a_reversed_period(gw, offers):
    with pytest.raises(ValidationFailed, match="before it starts"):
        gw.fetch_usage(start=date(2026, 5, 2), end=date(2026, 5, 1))


def test_a_reservation_is_exchanged_for_at_least_its_remaining_commitment(gw, customer):
    from decimal import Decimal

    from partner_center.types import OrderRequest
    from subscriptions.catalog.models import OfferPrice, ProductType
    from tests.factories import OfferFactory

    ri = OfferFactory(
        sku="DZH318Z0BQ3Q:006B",
        name="Reserved VM Instance, D2s v5",
        product_type=ProductType.objects.get(code="reserved-instance"),
        terms="P1Y,P3Y",
        billing_frequencies="monthly,annual,triennial",
        max_quantity=1000,
    )
    for term, cost in (("P1Y", "613.20"), ("P3Y", "394.20")):  # per instance and year
        OfferPrice.objects.create(
            offer=ri, term=term, currency="USD", cost=Decimal(cost), effective_from=date(2026, 1, 1)
        )
    with time_machine.travel(datetime(2026, 6, 18, 10, 0, tzinfo=UTC), tick=False):
        sub = gw.create_order(
            customer.tenant_id, OrderRequest(ri.sku, "P1Y", "annual", 10), idempotency_key="o-ri"
        )
    with time_machine.travel(datetime(2026, 12, 18, 10, 0, tzinfo=UTC), tick=False):
        # hand-checked: 10 × 613.20 = 6,132.00 a year; Dec 18 – Jun 17 is 182 of 365 days,
        # 6,132.00 × 182 ÷ 365 = 3,057.60 remains. 3 instances for a year billed monthly
        # commit 3 × 51.10 × 12 = 1,839.60.
        with pytest.raises(Conflict) as e:
            gw.exchange_reservation(
                customer.tenant_id,
                sub.subscription_id,
                OrderRequest(ri.sku, "P1Y", "monthly", 3),
                idempotency_key="x-ri-1",
            )
        assert e.value.message == (
            "The new commitment (1,839.60) must be at least the remaining commitment (3,057.60)."
        )
        new = gw.exchange_reservation(
            customer.tenant_id,
            sub.subscription_id,
            OrderRequest(ri.sku, "P3Y", "triennial", 10),
            idempotency_key="x-ri-2",
        )
        assert (new.term, new.billing_frequency, new.quantity, new.term_start) == (
            "P3Y",
            "triennial",
            10,
            date(2026, 12, 18),
        )
        states = {s.subscription_id: s.status for s in gw.get_subscriptions(customer.tenant_id)}
        assert states == {sub.subscription_id: DELETED, new.subscription_id: "active"}
