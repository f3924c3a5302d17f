"""Every event kind is emitted by the service that makes the fact, once, with the API's field
names and an id derived from the fact; a service whose transaction rolls back emits nothing."""

import datetime as dt
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django_scopes import scopes_disabled

from billing import services as billing_services
from billing import statements
from billing.insight.services import anomalies_detect, budgets_check
from billing.usage import services as usage_services
from customers import links
from customers import services as customer_services
from partner_center import usage as pc_usage
from partner_center.sandbox import SandboxGateway
from programs import services as program_services
from programs.models import Program, ProgramRequest
from subscriptions import services as sub_services
from subscriptions.transfers import services as transfers
from support import services as support_services
from tests import factories
from tests.billing.conftest import charge
from tests.billing.test_anomaly_alerts import SPIKE, import_usage
from tests.billing.test_budgets import add_usage, in_sandbox
from tests.billing.usage_helpers import rows_for, to_csv, upload
from tests.subscriptions.conftest import BASIC, PREMIUM, buy_now
from webhooks.catalog import EVENT_TYPES
from webhooks.events import event_id, identity_of
from webhooks.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db
NOWHERE = "http://127.0.0.1:9/hooks"  # the discard port: nothing listens


class Rollback(Exception):
    pass


def _subscription(ctx, term="P1Y", key="setup"):
    return buy_now(
        member=ctx.owner,
        customer=ctx.onboard(ctx.owner),
        offer=ctx.catalog[PREMIUM],
        term=term,
        billing_frequency="monthly",
        quantity=5,
        idempotency_key=key,
    )


def customer_created(ctx):
    fields = {
        "company_name": "Lamna",
        "country": "US",
        "currency": "USD",
        "address_line1": "1 Main St",
        "city": "Seattle",
        "postal_code": "98101",
        "contact_first_name": "R",
        "contact_last_name": "K",
        "contact_email": "r@lamna.test",
        "primary_domain": "lamna.onmicrosoft.com",
    }
    return lambda: customer_services.customer_create(
        member=ctx.owner, **fields
    ), lambda d, o: d["company_name"] == "Lamna" and d["mca_status"] == o.mca_status


def customer_mca_accepted(ctx):
    customer = factories.CustomerFactory(reseller=ctx.reseller)
    invitation = customer_services.mca_send(member=ctx.owner, customer=customer)

    def trigger():
        return customer_services.mca_accept(
            token=links.mca_token(invitation),
            first_name="Avery",
            last_name="Hill",
            email="avery@customer.test",
            accepted=True,
        )

    return (
        trigger,
        lambda d, o: (
            d["customer"] == customer.pk
            and d["mca_status"] == "accepted"
            and d["acceptance"]["email"] == "avery@customer.test"
        ),
    )


def subscription_created(ctx):
    customer = ctx.onboard(ctx.owner)

    def trigger():
        return sub_services.subscription_purchase(
            member=ctx.owner,
            customer=customer,
            offer=ctx.catalog[PREMIUM],
            term="P1Y",
            billing_frequency="monthly",
            quantity=5,
            idempotency_key="buy",
        )

    return (
        trigger,
        lambda d, o: (
            d["quantity"] == 5 and d["offer_sku"] == PREMIUM and d["provisioning"] == "pending"
        ),
    )


def subscription_provisioned(ctx):
    order = sub_services.subscription_purchase(
        member=ctx.owner,
        customer=ctx.onboard(ctx.owner),
        offer=ctx.catalog[PREMIUM],
        term="P1Y",
        billing_frequency="monthly",
        quantity=5,
        idempotency_key="buy",
    )
    return lambda: sub_services.subscription_provision(
        subscription_id=order.pk
    ), lambda d, o: d["provisioning"] == "provisioned" and d["partner_center_id"] and d["unit_cost"]


def subscription_failed(ctx):
    # operations marked the MCA logged by hand, Partner Center has no attestation: refused
    customer = customer_services.customer_create_in_partner_center(
        member=ctx.owner, customer=factories.CustomerFactory(reseller=ctx.reseller)
    )
    acceptance = factories.McaAcceptanceFactory(invitation__customer=customer)
    customer_services.mca_mark_logged(user=ctx.ops, acceptance_id=acceptance.pk, reference="PC-1")
    customer.refresh_from_db()
    order = sub_services.subscription_purchase(
        member=ctx.owner,
        customer=customer,
        offer=ctx.catalog[PREMIUM],
        term="P1Y",
        billing_frequency="monthly",
        quantity=5,
        idempotency_key="buy",
    )
    return lambda: sub_services.subscription_provision(
        subscription_id=order.pk
    ), lambda d, o: d["provisioning"] == "failed" and d["provisioning_error"]


def subscription_seats_changed(ctx):
    sub = _subscription(ctx)

    def trigger():
        sub_services.subscription_change_seats(
            member=ctx.owner, subscription=sub, quantity=7, idempotency_key="more"
        )
        return sub

    return trigger, lambda d, o: d["quantity"] == 7 and d["quantity_before"] == 5


def subscription_cancelled(ctx):
    sub = _subscription(ctx)

    def trigger():
        sub_services.subscription_cancel(member=ctx.owner, subscription=sub, idempotency_key="c")
        return sub

    return trigger, lambda d, o: d["status"] == "cancelled"


def subscription_renewed(ctx):
    sub = _subscription(ctx, term="P1M")
    renewal = sub.term_end + timedelta(days=1)

    def trigger():
        sub_services.subscriptions_renew_due(today=renewal)
        return sub

    return trigger, lambda d, o: d["term_start"] == renewal.isoformat()


def subscription_upgraded(ctx):
    sub = _subscription_of(ctx, ctx.owner, ctx.onboard(ctx.owner), sku=BASIC)

    def trigger():
        return sub_services.subscription_upgrade(
            member=ctx.owner,
            subscription=sub,
            to_offer=ctx.catalog[PREMIUM],
            quantity=2,
            idempotency_key="up",
        )

    return (
        trigger,
        lambda d, o: (
            d["offer_sku"] == PREMIUM
            and d["quantity"] == 2
            and d["upgraded_from"] == sub.pk
            and d["seats"] == 2
        ),
    )


def transfer_updated(ctx):
    source = factories.ResellerFactory(name="Northwind", country="US", currency="USD")
    source_owner = ctx.member_of(source)
    theirs = ctx.onboard(source_owner, company_name="Contoso Ltd")
    sub = _subscription_of(ctx, source_owner, theirs)
    ours = factories.CustomerFactory(
        reseller=ctx.reseller,
        company_name="Contoso Ltd",
        currency="USD",
        primary_domain=theirs.primary_domain,
    )
    SandboxGateway().accept_relationship(str(theirs.tenant_id), ctx.reseller.partner_id)

    def trigger():
        return transfers.transfer_request(
            member=ctx.owner,
            customer=ours,
            source_partner_id=source.partner_id,
            subscription_ids=[sub.partner_center_id],
            idempotency_key="ask",
        )

    return (
        trigger,
        lambda d, o: (
            d["status"] == "pending"
            and d["side"] == "target"
            and d["customer"] == ours.pk
            and d["items"][0]["partner_center_id"] == sub.partner_center_id
        ),
    )


def _subscription_of(ctx, member, customer, sku=PREMIUM):
    return buy_now(
        member=member,
        customer=customer,
        offer=ctx.catalog[sku],
        term="P1Y",
        billing_frequency="monthly",
        quantity=3,
        idempotency_key="theirs",
    )


def invoice_finalized(ctx):
    charge(ctx.reseller, on=dt.date(2026, 6, 1))
    [run] = billing_services.billing_run_start(
        user=ctx.ops, on_date=dt.date(2026, 6, 1), reseller=ctx.reseller
    )
    billing_services.billing_run_compute(run_id=run.pk)

    def trigger():
        [invoice] = billing_services.billing_run_finalize(user=ctx.ops, run=run)
        return invoice

    return trigger, lambda d, o: d["status"] == "finalized" and d["number"] == o.number


def statement_ready(ctx):
    statement = factories.StatementFactory(run__reseller=ctx.reseller)

    def trigger():
        return statements.statement_render_pdf(statement_id=statement.pk)

    return trigger, lambda d, o: d["pdf_ready"] is True and d["customer"] == statement.customer_id


def usage_imported(ctx):
    with scopes_disabled():
        subs = [factories.SubscriptionFactory(reseller=ctx.reseller)]
    billing = ctx.member_of(ctx.reseller, "billing")
    data = to_csv(rows_for(subs, date(2026, 9, 1), 2))
    imp = usage_services.usage_import_upload(member=billing, file=upload(data))

    def trigger():
        return usage_services.usage_import_run(usage_import_id=imp.pk)

    return trigger, lambda d, o: d["status"] == "done" and d["imported_lines"] == 10


def program_request_decided(ctx):
    with scopes_disabled():
        ProgramRequest.objects.filter(
            reseller=ctx.reseller, program__code="modern-workplace"
        ).delete()
    program = Program.objects.get(code="modern-workplace")
    request = program_services.program_request_create(
        member=ctx.owner, program=program, accepted_terms_version=program.terms_version
    )

    def trigger():
        return program_services.program_request_approve(user=ctx.ops, program_request=request)

    return trigger, lambda d, o: d["state"] == "approved" and d["program"] == program.pk


def ticket_replied(ctx):
    ticket = factories.TicketFactory(reseller=ctx.reseller)

    def trigger():
        return support_services.ticket_ops_reply(user=ctx.ops, ticket=ticket, body="On it.")

    return (
        trigger,
        lambda d, o: (
            d["ticket"]["id"] == ticket.pk
            and d["message"]["body"] == "On it."
            and d["message"]["author"] == "Operations"
        ),
    )


def budget_alert(ctx):
    may = date(2026, 5, 1)
    with scopes_disabled():
        sub = factories.SubscriptionFactory(reseller=ctx.reseller)
        in_sandbox(sub.customer)
        factories.BudgetFactory(reseller=ctx.reseller, customer=sub.customer, amount="1000.00")
        add_usage(sub, may, "50")  # forecast 31 × 50 = 1,550: above the budget

    def trigger():
        [alert] = budgets_check(today=may + timedelta(days=1))
        return alert

    return (
        trigger,
        lambda d, o: (
            d["kind"] == "forecast"
            and d["customer"] == sub.customer_id
            and d["amount"] == "1000.00"
        ),
    )


def anomaly_detected(ctx):
    with scopes_disabled():
        sub = factories.SubscriptionFactory(reseller=ctx.reseller)
        import_usage(sub, spikes=[pc_usage.Spike(day=SPIKE, factor=Decimal(5))])

    def trigger():
        with time_machine.travel(SPIKE + timedelta(days=1)):
            [alert] = anomalies_detect(today=SPIKE + timedelta(days=1))
        return alert

    return trigger, lambda d, o: d["day"] == SPIKE.isoformat() and d["customer"] == sub.customer_id


SCENARIOS = {
    "customer.created": customer_created,
    "customer.mca_accepted": customer_mca_accepted,
    "subscription.created": subscription_created,
    "subscription.provisioned": subscription_provisioned,
    "subscription.failed": subscription_failed,
    "subscription.seats_changed": subscription_seats_changed,
    "subscription.cancelled": subscription_cancelled,
    "subscription.renewed": subscription_renewed,
    "subscription.upgraded": subscription_upgraded,
    "transfer.updated": transfer_updated,
    "invoice.finalized": invoice_finalized,
    "statement.ready": statement_ready,
    "usage.imported": usage_imported,
    "program_request.decided": program_request_decided,
    "ticket.replied": ticket_replied,
    "budget.alert": budget_alert,
    "anomaly.detected": anomaly_detected,
}
NOT_YET: set[str] = set()


class Ctx:
    def __init__(self, request, reseller, owner, ops, member_of):
        self.request, self.reseller, self.owner = request, reseller, owner
        self.ops, self.member_of = ops, member_of

    def __getattr__(self, name):  # "catalog", "onboard": loaded by the cases that use them
        return self.request.getfixturevalue(name)


@pytest.fixture
def ctx(request, reseller_a, owner_a, ops, member_of, endpoint_for):
    reseller_a.mpa_accepted_on = dt.date(2024, 1, 1)
    reseller_a.save()
    endpoint_for(owner_a, NOWHERE, events=list(EVENT_TYPES))
    return Ctx(request, reseller_a, owner_a, ops, member_of)


def events_of(reseller, type):
    with scopes_disabled():
        return list(WebhookEvent.objects.filter(reseller=reseller, type=type))


def test_every_event_type_has_a_scenario():
    assert set(SCENARIOS) | NOT_YET == set(EVENT_TYPES)


@pytest.mark.parametrize("type", SCENARIOS)
def test_the_service_emits_the_event_once_with_the_api_fields(ctx, type):
    trigger, check = SCENARIOS[type](ctx)
    assert events_of(ctx.reseller, type) == []
    obj = trigger()
    [event] = events_of(ctx.reseller, type)
    envelope = json.loads(event.body)
    assert envelope["id"] == event.event_id and envelope["type"] == type
    assert envelope["reseller_id"] == ctx.reseller.pk
    assert envelope["created_at"].endswith("Z")
    with scopes_disabled():
        obj.refresh_from_db()
        assert check(envelope["data"], obj), envelope["data"]
        assert WebhookDelivery.objects.filter(event=event).count() == 1


@pytest.mark.parametrize("type", SCENARIOS)
def test_a_rolled_back_service_emits_nothing(ctx, type, django_capture_on_commit_callbacks):
    trigger, _ = SCENARIOS[type](ctx)
    with (
        django_capture_on_commit_callbacks() as queued,
        pytest.raises(Rollback),
        transaction.atomic(),
    ):
        trigger()
        raise Rollback
    assert events_of(ctx.reseller, type) == []
    assert not [c for c in queued if "webhook" in getattr(c, "__qualname__", repr(c))]


def test_the_event_id_is_derived_from_the_fact(ctx):
    trigger, _ = subscription_seats_changed(ctx)
    sub = trigger()
    [event] = events_of(ctx.reseller, "subscription.seats_changed")
    expected = event_id(
        reseller_id=ctx.reseller.pk,
        type="subscription.seats_changed",
        identity=identity_of(sub, "more"),
    )
    assert event.event_id == expected


def test_nothing_is_stored_for_a_reseller_without_a_listening_endpoint(
    reseller_b, owner_b, endpoint_for
):
    endpoint_for(owner_b, NOWHERE, events=["ticket.replied"])  # not customer.created
    reseller_b.mpa_accepted_on = dt.date(2024, 1, 1)
    reseller_b.save()
    create, _ = customer_created(Ctx(None, reseller_b, owner_b, None, None))
    create()
    with scopes_disabled():
        assert not WebhookEvent.objects.exists()


def test_an_internal_note_of_operations_is_not_sent(ctx):
    ticket = factories.TicketFactory(reseller=ctx.reseller)
    support_services.ticket_ops_reply(user=ctx.ops, ticket=ticket, body="Note.", internal=True)
    assert events_of(ctx.reseller, "ticket.replied") == []


def test_a_transfer_reaches_both_resellers_each_with_its_side(ctx, endpoint_for):
    trigger, _ = transfer_updated(ctx)
    with scopes_disabled():
        source_owner = (
            factories.MembershipFactory._meta.model.objects.exclude(reseller=ctx.reseller)
            .filter(reseller__name="Northwind")
            .get()
        )
    endpoint_for(source_owner, NOWHERE, events=["transfer.updated"])
    trigger()
    [target_event] = events_of(ctx.reseller, "transfer.updated")
    [source_event] = events_of(source_owner.reseller, "transfer.updated")
    target, source = json.loads(target_event.body), json.loads(source_event.body)
    assert (target["data"]["side"], source["data"]["side"]) == ("target", "source")
    assert source["data"]["customer"] is None  # the target's customer is not the source's
    assert target["data"]["id"] == source["data"]["id"] and target["id"] != source["id"]
