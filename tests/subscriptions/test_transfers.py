"""Transfers against the sandbox Partner Center: the target asks, the current provider (a
reseller on the portal, or operations for an external one) decides; billing splits on the
transfer date to the cent."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from partner_center.gateway import get_gateway
from partner_center.models import SandboxTransfer
from partner_center.sandbox import SandboxGateway
from partner_center.types import OrderRequest
from portal.models import Notification
from portal.roles import Role
from subscriptions import services
from subscriptions.models import ChargeEvent, SeatAssignment, SeatBatch, Subscription
from subscriptions.transfers import services as transfers
from subscriptions.transfers.models import Transfer, TransferItem
from tests.factories import CustomerFactory, ResellerFactory, TransferItemFactory
from tests.subscriptions.conftest import BASIC, PREMIUM, buy_now

UTC = dt.UTC
BOUGHT = dt.datetime(2026, 6, 18, 10, 0, tzinfo=UTC)
ASKED = dt.datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
SOURCE_MPN = "4567890"
EXTERNAL_MPN = "7654321"
EXTERNAL_TENANT = "da6c51b5-1246-4a42-b4ab-cbf38df54537"


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def source(db):
    return ResellerFactory(
        name="Northwind Cloud", country="US", currency="USD", partner_id=SOURCE_MPN
    )


@pytest.fixture
def source_owner(source, member_of):
    return member_of(source, Role.OWNER)


@pytest.fixture
def moved(source_owner, owner_a, onboard, catalog):
    """Northwind's customer with a Business Premium subscription (10 seats, P1Y billed monthly,
    bought 2026-06-18), and the same company as a customer of reseller A (the target), whose
    relationship request the customer accepted in Partner Center."""
    with at(BOUGHT):
        theirs = onboard(source_owner, company_name="Contoso Ltd")
        sub = buy_now(
            member=source_owner,
            customer=theirs,
            offer=catalog[PREMIUM],
            term="P1Y",
            billing_frequency="monthly",
            quantity=10,
            idempotency_key="buy-1",
        )
        ours = CustomerFactory(
            reseller=owner_a.reseller,
            company_name="Contoso Ltd",
            currency="USD",
            primary_domain=theirs.primary_domain,
        )
        SandboxGateway().accept_relationship(str(theirs.tenant_id), owner_a.reseller.partner_id)
    return ours, sub


def ask(member, customer, ids, *, mpn=SOURCE_MPN, key="ask-1"):
    return transfers.transfer_request(
        member=member,
        customer=customer,
        source_partner_id=mpn,
        subscription_ids=ids,
        idempotency_key=key,
        # a provider outside the portal is named as Partner Center names it (create-a-transfer)
        source_partner_tenant_id=EXTERNAL_TENANT,
        source_partner_name="Fabrikam Cloud",
    )


def nothing_requested(unscoped):
    with unscoped():
        return (
            Transfer.objects.count(),
            TransferItem.objects.count(),
            SandboxTransfer.objects.count(),
        ) == (0, 0, 0)


def charges(unscoped, **filters):
    with unscoped():
        return list(
            ChargeEvent.objects.filter(**filters)
            .order_by("pk")
            .values_list(
                "kind",
                "quantity",
                "cost_amount",
                "price_amount",
                "currency",
                "charge_date",
                "billing_days",
                "cycle_days",
            )
        )


@pytest.mark.django_db
def test_request_is_pending_and_only_the_source_sees_it_as_incoming(
    owner_a, source, source_owner, moved, unscoped, in_scope
):
    customer, sub = moved
    with at(ASKED):
        transfer = ask(owner_a, customer, [sub.partner_center_id])
    assert transfer.status == "pending"
    assert transfer.source_reseller == source
    assert transfer.expires_at == ASKED + dt.timedelta(days=30)
    with unscoped():
        item = TransferItem.objects.get()
        assert (item.source_subscription_id, item.quantity) == (sub.pk, 10)
        note = Notification.objects.get(user=source_owner.user)
    assert note.title == f"Alpha Cloud asks to transfer 1 subscription of {customer}"
    with in_scope(source):
        assert not Transfer.objects.exists()
        assert list(Transfer.incoming.all()) == [transfer]
    with in_scope(owner_a.reseller):
        assert list(Transfer.objects.all()) == [transfer]
        assert not Transfer.incoming.exists()


@pytest.mark.django_db
def test_at_most_25_subscriptions_per_request(owner_a, source_owner, moved, catalog, unscoped):
    customer, first = moved
    with at(BOUGHT):
        others = [
            buy_now(
                member=source_owner,
                customer=first.customer,
                offer=catalog[BASIC],
                term="P1M",
                billing_frequency="monthly",
                quantity=1,
                idempotency_key=f"more-{n}",
            )
            for n in range(25)
        ]
    ids = [first.partner_center_id] + [s.partner_center_id for s in others]
    with pytest.raises(ValidationError, match="at most 25 subscriptions; you chose 26"):
        ask(owner_a, customer, ids)
    assert nothing_requested(unscoped)
    transfer = ask(owner_a, customer, ids[:25])
    with unscoped():
        assert transfer.items.count() == 25


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mpn, message",
    [
        ("12345", "“12345” must be a number of 6 to 10 digits"),
        ("45678901234", "must be a number of 6 to 10 digits"),
        ("45x7890", "must be a number of 6 to 10 digits"),
    ],
)
def test_a_malformed_mpn_id_is_refused(owner_a, moved, unscoped, mpn, message):
    customer, sub = moved
    with pytest.raises(ValidationError, match=message):
        ask(owner_a, customer, [sub.partner_center_id], mpn=mpn)
    assert nothing_requested(unscoped)


@pytest.mark.django_db
def test_own_mpn_id_is_refused(owner_a, moved, unscoped):
    customer, sub = moved
    with pytest.raises(ValidationError, match="is your own MPN/Partner ID"):
        ask(owner_a, customer, [sub.partner_center_id], mpn=owner_a.reseller.partner_id)
    assert nothing_requested(unscoped)


@pytest.mark.django_db
def test_subscriptions_must_be_listed_active_and_held_by_that_provider(owner_a, moved, unscoped):
    customer, sub = moved
    with pytest.raises(ValidationError, match="nope is not an active subscription of Contoso"):
        ask(owner_a, customer, ["nope"])
    with pytest.raises(ValidationError, match=f"is not provided by partner {EXTERNAL_MPN}"):
        ask(owner_a, customer, [sub.partner_center_id], mpn=EXTERNAL_MPN)
    assert nothing_requested(unscoped)
    ask(owner_a, customer, [sub.partner_center_id])
    with pytest.raises(ValidationError, match="already part of a pending transfer"):
        ask(owner_a, customer, [sub.partner_center_id], key="ask-2")


@pytest.mark.django_db
def test_a_double_submit_requests_once(owner_a, moved, unscoped):
    customer, sub = moved
    first = ask(owner_a, customer, [sub.partner_center_id], key="same")
    assert ask(owner_a, customer, [sub.partner_center_id], key="same") == first
    with unscoped():
        assert Transfer.objects.count() == SandboxTransfer.objects.count() == 1


@pytest.mark.django_db
def test_only_the_target_cancels_and_only_while_pending(
    owner_a, reseller_a, member_of, source_owner, moved, unscoped
):
    customer, sub = moved
    transfer = ask(owner_a, customer, [sub.partner_center_id])
    with pytest.raises(Http404):
        transfers.transfer_cancel(member=source_owner, transfer=transfer)
    with pytest.raises(PermissionDenied):
        transfers.transfer_cancel(member=member_of(reseller_a, Role.VIEWER), transfer=transfer)
    transfer.refresh_from_db()
    assert transfer.status == "pending"
    transfers.transfer_cancel(member=owner_a, transfer=transfer)
    transfer.refresh_from_db()
    assert transfer.status == "canceled"
    with unscoped():
        assert SandboxTransfer.objects.get().status == "Cancelled"
    with pytest.raises(ValidationError, match="This transfer is canceled; only a pending"):
        transfers.transfer_cancel(member=owner_a, transfer=transfer)
    with pytest.raises(ValidationError, match="This transfer is canceled"):
        transfers.transfer_decide(actor=source_owner, transfer=transfer, approve=True)


@pytest.mark.django_db
def test_declining_needs_a_reason_which_the_target_sees(owner_a, source_owner, moved, unscoped):
    customer, sub = moved
    transfer = ask(owner_a, customer, [sub.partner_center_id])
    with pytest.raises(ValidationError, match="Give a reason for declining"):
        transfers.transfer_decide(actor=source_owner, transfer=transfer, approve=False, reason="  ")
    transfer.refresh_from_db()
    assert transfer.status == "pending"
    transfers.transfer_decide(
        actor=source_owner, transfer=transfer, approve=False, reason="Contract runs until December."
    )
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decline_reason) == (
        "declined",
        "Contract runs until December.",
    )
    with unscoped():
        sub.refresh_from_db()
        assert sub.status == "active"
        assert Subscription.objects.count() == 1
        note = Notification.objects.get(user=owner_a.user)
    assert note.body == "Reason: Contract runs until December."


@pytest.mark.django_db
def test_approval_moves_the_subscription_and_splits_billing_on_the_transfer_date(
    owner_a, source, source_owner, moved, unscoped
):
    customer, sub = moved
    with at(BOUGHT):  # reseller A sells 10 % above cost; Northwind sells at cost
        book = services.price_book_create(member=owner_a)
        services.price_rule_add(
            member=owner_a, book=book, kind="markup", percent=10, effective_from=BOUGHT.date()
        )
        for name in ("Ann Lee", "Bo Chen"):
            services.seat_assign(
                member=source_owner,
                subscription=sub,
                display_name=name,
                user_principal_name=f"{name.split()[0].lower()}@contoso.test",
            )
    with at(ASKED):
        transfer = ask(owner_a, customer, [sub.partner_center_id])
    approved = dt.datetime(2026, 7, 6, 15, 0, tzinfo=UTC)
    with at(approved):
        transfer = transfers.transfer_decide(actor=source_owner, transfer=transfer, approve=True)
    assert transfer.status == "completed" and transfer.completed_at == approved
    with unscoped():
        sub.refresh_from_db()
        assert (sub.status, sub.ended_at) == ("transferred", approved)
        ours = Subscription.objects.get(reseller=owner_a.reseller)
        assert SeatBatch.objects.get(subscription=ours).quantity == 10
        assert TransferItem.objects.get().target_subscription == ours
        # the customer's users keep their seats, now held by reseller A
        assert sorted(
            SeatAssignment.objects.filter(subscription=ours).values_list(
                "display_name", "user_principal_name", "reseller"
            )
        ) == [
            ("Ann Lee", "ann@contoso.test", owner_a.reseller_id),
            ("Bo Chen", "bo@contoso.test", owner_a.reseller_id),
        ]
        assert SandboxTransfer.objects.get().status == "Completed"
    assert (ours.partner_center_id, ours.customer, ours.quantity, ours.status) == (
        sub.partner_center_id,
        customer,
        10,
        "active",
    )
    assert (ours.term_start, ours.term_end) == (dt.date(2026, 6, 18), dt.date(2027, 6, 17))
    assert (ours.unit_cost, ours.unit_price) == (Decimal("22"), Decimal("24.2"))
    # cycle Jun 18 – Jul 17 (30 days); transferred Jul 6: Northwind pays through Jul 6,
    # reseller A from Jul 7 — 11 days: 22.00 × 10 × 11/30 = 80.67; 24.20 × 10 × 11/30 = 88.73
    july_7 = dt.date(2026, 7, 7)
    assert charges(unscoped, subscription=sub, kind="transfer_out") == [
        ("transfer_out", -10, Decimal("-80.67"), Decimal("-80.67"), "USD", july_7, 11, 30)
    ]
    assert charges(unscoped, subscription=ours) == [
        ("transfer_in", 10, Decimal("80.67"), Decimal("88.73"), "USD", july_7, 11, 30)
    ]
    with unscoped():
        assert ChargeEvent.objects.get(subscription=sub, kind="transfer_out").reseller == source
    # the cycle run of Jul 18 charges the new owner only
    assert services.subscriptions_charge_cycles(today=dt.date(2026, 7, 18)) == 1
    assert charges(unscoped, subscription=ours, kind="cycle") == [
        ("cycle", 10, Decimal("220.00"), Decimal("242.00"), "USD", dt.date(2026, 7, 18), 31, 31)
    ]


@pytest.mark.django_db
def test_a_transfer_the_day_before_a_cycle_starts_moves_the_whole_next_cycle(
    owner_a, source_owner, moved, unscoped
):
    customer, sub = moved
    transfer = ask(owner_a, customer, [sub.partner_center_id])
    with at(dt.datetime(2026, 7, 17, 12, 0, tzinfo=UTC)):  # last day of the first cycle
        transfers.transfer_decide(actor=source_owner, transfer=transfer, approve=True)
    assert charges(unscoped, subscription=sub, kind="transfer_out") == []
    with unscoped():
        ours = Subscription.objects.get(reseller=owner_a.reseller)
    assert charges(unscoped, subscription=ours) == [
        (
            "transfer_in",
            10,
            Decimal("220.00"),
            Decimal("220.00"),
            "USD",
            dt.date(2026, 7, 18),
            31,
            31,
        )
    ]
    assert services.subscriptions_charge_cycles(today=dt.date(2026, 7, 18)) == 0


@pytest.mark.django_db
def test_operations_decide_for_a_provider_outside_the_portal(
    owner_a, source_owner, ops, onboard, catalog, unscoped
):
    customer = onboard(owner_a, company_name="Fabrikam Inc")
    with at(BOUGHT):  # bought from another distributor: Partner Center knows it, we do not
        info = get_gateway().create_order(
            str(customer.tenant_id),
            OrderRequest(
                offer_sku=PREMIUM,
                term="P1Y",
                billing_frequency="monthly",
                quantity=4,
                auto_renew=True,
            ),
            idempotency_key="elsewhere",
        )
    transfer = ask(owner_a, customer, [info.subscription_id], mpn=EXTERNAL_MPN)
    assert transfer.source_reseller is None
    with pytest.raises(Http404):
        transfers.transfer_decide(actor=source_owner, transfer=transfer, approve=True)
    with pytest.raises(PermissionDenied):
        transfers.transfer_decide(actor=owner_a.user, transfer=transfer, approve=True)
    with at(dt.datetime(2026, 7, 6, 15, 0, tzinfo=UTC)):
        transfer = transfers.transfer_decide(actor=ops, transfer=transfer, approve=True)
    assert (transfer.status, transfer.decided_by) == ("completed", ops)
    with unscoped():
        ours = Subscription.objects.get()
    assert (ours.reseller, ours.quantity, ours.partner_center_id) == (
        owner_a.reseller,
        4,
        info.subscription_id,
    )
    # 22.00 × 4 × 11/30 = 32.27
    assert charges(unscoped) == [
        ("transfer_in", 4, Decimal("32.27"), Decimal("32.27"), "USD", dt.date(2026, 7, 7), 11, 30)
    ]


@pytest.mark.django_db
def test_operations_do_not_decide_for_a_reseller_on_the_portal(owner_a, ops, moved):
    customer, sub = moved
    transfer = ask(owner_a, customer, [sub.partner_center_id])
    with pytest.raises(PermissionDenied, match="decides this request itself"):
        transfers.transfer_decide(actor=ops, transfer=transfer, approve=True)


@pytest.mark.django_db
def test_a_partner_center_error_leaves_the_transfer_failed_with_its_message(
    owner_a, source_owner, moved, unscoped
):
    customer, sub = moved
    transfer = ask(owner_a, customer, [sub.partner_center_id])
    with unscoped():
        SandboxTransfer.objects.update(status="Rejected")  # answered in Partner Center
    transfer = transfers.transfer_decide(actor=source_owner, transfer=transfer, approve=True)
    assert transfer.status == "failed"
    assert "is Rejected; only an Active transfer can become Completed" in (transfer.failure_message)
    with unscoped():
        sub.refresh_from_db()
        assert sub.status == "active"
        assert Subscription.objects.count() == 1
        assert not ChargeEvent.objects.filter(kind__startswith="transfer").exists()


@pytest.mark.django_db
def test_a_pending_request_expires_after_30_days(owner_a, source_owner, moved, unscoped):
    customer, sub = moved
    with at(ASKED):
        transfer = ask(owner_a, customer, [sub.partner_center_id])
    with at(ASKED + dt.timedelta(days=30) - dt.timedelta(minutes=1)):
        assert transfers.transfers_expire() == 0
    transfer.refresh_from_db()
    assert transfer.status == "pending"
    with at(ASKED + dt.timedelta(days=30)):
        with pytest.raises(ValidationError, match="This request expired on 2026-07-31 09:00"):
            transfers.transfer_decide(actor=source_owner, transfer=transfer, approve=True)
        assert transfers.transfers_expire() == 1
        assert transfers.transfers_expire() == 0
    transfer.refresh_from_db()
    assert transfer.status == "expired"
    with unscoped():
        assert (
            Notification.objects.filter(user=owner_a.user, title__contains="expired").count() == 1
        )


@pytest.mark.django_db
def test_roles(owner_a, reseller_a, source, member_of, moved, unscoped):
    customer, sub = moved
    with pytest.raises(PermissionDenied):
        ask(member_of(reseller_a, Role.VIEWER), customer, [sub.partner_center_id])
    assert nothing_requested(unscoped)
    transfer = ask(member_of(reseller_a, Role.SALES), customer, [sub.partner_center_id])
    for role in (Role.SALES, Role.VIEWER, Role.BILLING):
        with pytest.raises(PermissionDenied):
            transfers.transfer_decide(
                actor=member_of(source, role), transfer=transfer, approve=True
            )
    transfers.transfer_decide(
        actor=member_of(source, Role.ADMIN), transfer=transfer, approve=False, reason="No."
    )


@pytest.mark.django_db
def test_each_side_sees_the_transfer_only_through_its_own_pages(
    owner_a, owner_b, source_owner, moved, client_for
):
    customer, sub = moved
    transfer = ask(owner_a, customer, [sub.partner_center_id])
    outgoing = reverse("subscriptions:transfer", kwargs={"transfer_id": transfer.pk})
    incoming = reverse("subscriptions:transfer_incoming", kwargs={"transfer_id": transfer.pk})
    decide = reverse("subscriptions:transfer_decide", kwargs={"transfer_id": transfer.pk})
    cancel = reverse("subscriptions:transfer_cancel", kwargs={"transfer_id": transfer.pk})
    client = client_for(owner_b)  # unrelated
    assert [client.get(u).status_code for u in (outgoing, incoming)] == [404, 404]
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    client = client_for(source_owner)
    assert client.get(outgoing).status_code == 404
    assert client.post(cancel).status_code == 404
    page = client.get(incoming).content.decode()
    assert "Approve and transfer" in page and "Cancel the request" not in page
    client = client_for(owner_a)
    assert client.get(incoming).status_code == 404
    page = client.get(outgoing).content.decode()
    assert "Cancel the request" in page and "Approve and transfer" not in page
    transfer.refresh_from_db()
    assert transfer.status == "pending"


@pytest.mark.django_db
def test_requesting_and_approving_in_the_browser(
    owner_a, source_owner, moved, client_for, unscoped
):
    customer, sub = moved
    client = client_for(owner_a)
    step1 = {"customer": customer.pk, "source_partner_id": SOURCE_MPN}
    page = client.get(reverse("subscriptions:transfer_request"), step1).content.decode()
    assert sub.partner_center_id in page and "Microsoft 365 Business Premium" in page
    response = client.post(
        reverse("subscriptions:transfer_request"),
        {**step1, "subscription_ids": [sub.partner_center_id], "idempotency_key": "k"},
    )
    with unscoped():
        transfer = Transfer.objects.get()
    assert response.url == reverse("subscriptions:transfer", kwargs={"transfer_id": transfer.pk})
    client = client_for(source_owner)
    listing = client.get(reverse("subscriptions:transfers"), {"tab": "incoming"}).content
    assert b"Alpha Cloud" in listing
    url = reverse("subscriptions:transfer_decide", kwargs={"transfer_id": transfer.pk})
    client.post(url, {"decision": "decline", "reason": ""})
    transfer.refresh_from_db()
    assert transfer.status == "pending"
    response = client.post(url, {"decision": "approve"}, follow=True)
    assert "The transfer is completed." in response.content.decode()
    sub_page = client.get(
        reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk})
    ).content.decode()
    assert "Transferred away" in sub_page


@pytest.mark.django_db
def test_operations_page_lists_and_decides_external_requests(
    owner_a, ops, client, onboard, catalog, settings
):
    settings.STAFF_MFA_REQUIRED = False
    customer = onboard(owner_a, company_name="Fabrikam Inc")
    info = get_gateway().create_order(
        str(customer.tenant_id),
        OrderRequest(
            offer_sku=PREMIUM, term="P1Y", billing_frequency="monthly", quantity=2, auto_renew=True
        ),
        idempotency_key="elsewhere",
    )
    transfer = ask(owner_a, customer, [info.subscription_id], mpn=EXTERNAL_MPN)
    client.force_login(ops)
    assert b"Fabrikam Inc" in client.get(reverse("subscriptions_transfers_ops:list")).content
    url = reverse("subscriptions_transfers_ops:detail", kwargs={"transfer_id": transfer.pk})
    response = client.post(url, {"decision": "decline", "reason": "Provider says no."}, follow=True)
    assert "The transfer is declined." in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.decline_reason == "Provider says no."


@pytest.mark.django_db
def test_list_has_constant_queries(
    owner_a, reseller_a, source, client_for, django_assert_max_num_queries
):
    for n in range(20):
        TransferItemFactory(
            transfer__customer__reseller=reseller_a,
            transfer__customer__company_name=f"Ours {n:02d}",
        )
        TransferItemFactory(
            transfer__source_reseller=source, transfer__customer__company_name=f"Theirs {n:02d}"
        )
    client = client_for(owner_a)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("subscriptions:transfers")).content.decode()
    assert "Ours 19" in page and "Theirs" not in page
    with django_assert_max_num_queries(10):
        page = client.get(reverse("subscriptions:transfers"), {"tab": "incoming"}).content
    assert b"Ours" not in page and b"Theirs" not in page  # none asked of reseller A


@pytest.mark.django_db
def test_partner_center_gets_a_new_commerce_request_naming_the_provider_by_tenant(
    owner_a, source, moved, unscoped, settings
):
    """create-a-transfer: a provider on the portal transacts through the distributor, whose
    partner tenant Partner Center names; the customer's contact gets Microsoft's notice; the
    receiving reseller's PartnerID is the partner on record."""
    customer, sub = moved
    with at(ASKED):
        transfer = ask(owner_a, customer, [sub.partner_center_id])
    assert transfer.partner_center_status == "Active"
    assert str(transfer.source_partner_tenant_id) == settings.PARTNER_CENTER_PROVIDER_TENANT_ID
    assert transfer.customer_email == customer.contact_email
    with unscoped():
        pc = SandboxTransfer.objects.get()
    assert (pc.status, pc.source_partner_tenant_id, pc.customer_email) == (
        "Active",
        settings.PARTNER_CENTER_PROVIDER_TENANT_ID,
        customer.contact_email,
    )
    assert pc.source_partner_mpn_id == owner_a.reseller.partner_id


@pytest.mark.django_db
def test_a_provider_outside_the_portal_needs_its_partner_tenant_id(
    owner_a, onboard, catalog, unscoped
):
    customer = onboard(owner_a, company_name="Fabrikam Inc")
    with at(BOUGHT):  # bought from another distributor: Partner Center knows it, we do not
        info = get_gateway().create_order(
            str(customer.tenant_id),
            OrderRequest(offer_sku=PREMIUM, term="P1Y", billing_frequency="monthly", quantity=4),
            idempotency_key="elsewhere",
        )
    with pytest.raises(ValidationError, match="partner tenant ID"):
        transfers.transfer_request(
            member=owner_a,
            customer=customer,
            source_partner_id=EXTERNAL_MPN,
            subscription_ids=[info.subscription_id],
            idempotency_key="ask-x",
            source_partner_tenant_id=EXTERNAL_MPN,  # an MPN ID, not the tenant GUID
            source_partner_name="Fabrikam Cloud",
        )
    assert nothing_requested(unscoped)
    transfer = ask(owner_a, customer, [info.subscription_id], mpn=EXTERNAL_MPN, key="ask-y")
    assert (str(transfer.source_partner_tenant_id), transfer.source_partner_name) == (
        EXTERNAL_TENANT,
        "Fabrikam Cloud",
    )
