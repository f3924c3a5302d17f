"""Idempotency keys from the client are bounded and validated (issue 20, item 11): a
10,000-character or NUL-containing key answers 400 with a message, and nothing is written."""

import pytest
from django.core.exceptions import BadRequest
from django.urls import reverse

from subscriptions import services
from subscriptions.models import Subscription
from tests.subscriptions.conftest import BASIC, buy_now

BAD_KEYS = ["k" * 10_000, "abc\x00def", "", "key with spaces"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_bad_idempotency_key_is_a_400_with_a_message(
    owner_a, onboard, catalog, client_for, unscoped, key
):
    customer = onboard(owner_a)
    sub = buy_now(
        member=owner_a,
        customer=customer,
        offer=catalog[BASIC],
        term="P1M",
        billing_frequency="monthly",
        quantity=3,
        idempotency_key="first-order",
    )
    client = client_for(owner_a)
    purchase = client.post(
        reverse("subscriptions:purchase"),
        {
            "customer": customer.pk,
            "offer": catalog[BASIC].pk,
            "term": "P1M",
            "billing_frequency": "monthly",
            "quantity": 2,
            "auto_renew": "on",
            "idempotency_key": key,
        },
    )
    seats = client.post(
        reverse("subscriptions:change_seats", kwargs={"subscription_id": sub.pk}),
        {"quantity": 5, "idempotency_key": key},
    )
    for response in (purchase, seats):
        if key == "":  # a missing key: the form says the field is required
            assert response.status_code in (200, 302)
            continue
        assert response.status_code == 400
        assert "idempotency key is not valid" in response.content.decode()
    with pytest.raises(BadRequest, match="1 to 64 letters"):
        services.subscription_cancel(member=owner_a, subscription=sub, idempotency_key=key)
    with unscoped():
        assert Subscription.objects.count() == 1
        sub.refresh_from_db()
    assert sub.quantity == 3 and sub.status == "active"
