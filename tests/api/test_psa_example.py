"""The worked PSA example (examples/psa_sync.py) against the API, through the WSGI app."""

from decimal import Decimal

import httpx
import pytest
from django.core import signals
from django.db import close_old_connections

from examples.psa_sync import agreement_lines
from portal.roles import Role
from portal.wsgi import application
from subscriptions import services as subscription_services
from tests import factories
from tests.subscriptions.conftest import BASIC

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal_client(settings):
    """An httpx client calling the portal's WSGI app in the test transaction."""
    settings.ALLOWED_HOSTS = ["portal.test"]
    signals.request_finished.disconnect(close_old_connections)
    signals.request_started.disconnect(close_old_connections)

    def make(key):
        return httpx.Client(
            transport=httpx.WSGITransport(app=application),
            base_url="http://portal.test",
            headers={"Authorization": f"Bearer {key}"},
        )

    yield make
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_psa_sync_makes_one_agreement_line_per_active_subscription_with_cost_and_price(
    owner_a, onboard, catalog, portal_client
):
    customer = onboard(owner_a, company_name="Contoso Ltd")
    subs = []
    for quantity in (3, 7):
        order = subscription_services.subscription_purchase(
            member=owner_a,
            customer=customer,
            offer=catalog[BASIC],
            term="P1Y",
            billing_frequency="monthly",
            quantity=quantity,
            idempotency_key=f"psa-{quantity}",
        )
        subs.append(subscription_services.subscription_provision(subscription_id=order.pk))
    subscription_services.subscription_cancel(
        member=owner_a, subscription=subs[1], idempotency_key="psa-cancel"
    )
    for _ in range(3):  # more customers than one page holds: the sync follows the cursor
        factories.CustomerFactory(reseller=owner_a.reseller)

    with portal_client(factories.api_key(member=owner_a)[1]) as client:
        lines = agreement_lines(client, page_size=2)

    assert len(lines) == 1  # the cancelled one is not billed any more
    line = lines[0]
    assert (line.company, line.sku, line.quantity, line.currency) == (
        "Contoso Ltd",
        BASIC,
        3,
        "USD",
    )
    assert line.external_id == f"portal-subscription-{subs[0].pk}"
    assert line.unit_cost > 0 and line.unit_price >= line.unit_cost
    assert line.margin == (line.unit_price - line.unit_cost) * 3


def test_psa_sync_with_a_viewer_key_gets_prices_but_no_cost(
    owner_a, onboard, catalog, portal_client
):
    customer = onboard(owner_a)
    order = subscription_services.subscription_purchase(
        member=owner_a,
        customer=customer,
        offer=catalog[BASIC],
        term="P1Y",
        billing_frequency="monthly",
        quantity=2,
        idempotency_key="psa-viewer",
    )
    subscription_services.subscription_provision(subscription_id=order.pk)
    with portal_client(factories.api_key(member=owner_a, role=Role.VIEWER)[1]) as client:
        [line] = agreement_lines(client)
    assert line.unit_cost is None and line.margin is None
    assert line.unit_price == Decimal(str(order.unit_price))


def test_psa_webhook_receiver_verifies_dedupes_and_updates_the_line(
    owner_a, onboard, catalog, portal_client, django_capture_on_commit_callbacks
):
    """The portal posts subscription.seats_changed to the PSA's URL (a real socket); the
    example's handler verifies the signature, takes the event once (a redelivery is dropped)
    and the line it makes carries the new quantity."""
    from examples.psa_sync import handle_webhook, line_for_event
    from tests.webhooks.receiver import Receiver
    from webhooks import services as webhook_services

    customer = onboard(owner_a, company_name="Contoso Ltd")
    order = subscription_services.subscription_purchase(
        member=owner_a,
        customer=customer,
        offer=catalog[BASIC],
        term="P1Y",
        billing_frequency="monthly",
        quantity=3,
        idempotency_key="psa-hook",
    )
    sub = subscription_services.subscription_provision(subscription_id=order.pk)
    seen, events, answers = set(), [], []

    class PsaReceiver(Receiver):
        def handle(self, body, headers):
            status, event = handle_webhook(body, headers, secret=self.secret, seen=seen)
            answers.append(status)
            if event:
                events.append(event)
            return status

    with PsaReceiver() as psa:
        endpoint, psa.secret = webhook_services.webhook_endpoint_create(
            member=owner_a, url=psa.url, events=["subscription.seats_changed"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            subscription_services.subscription_change_seats(
                member=owner_a, subscription=sub, quantity=5, idempotency_key="psa-more"
            )
        from django_scopes import scopes_disabled

        from webhooks.models import WebhookDelivery

        with scopes_disabled():
            delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        with django_capture_on_commit_callbacks(execute=True):
            webhook_services.webhook_delivery_redeliver(member=owner_a, delivery=delivery)
    assert answers == [204, 200]  # the redelivery is acknowledged, not handled again
    [event] = events
    with portal_client(factories.api_key(member=owner_a)[1]) as client:
        line = line_for_event(client, event)
    assert (line.company, line.quantity, line.sku) == ("Contoso Ltd", 5, BASIC)
    assert event["data"]["quantity_before"] == 3
