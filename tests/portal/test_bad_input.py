"""Malformed uploads and form posts: each gets a clear message and writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import CustomerFactory, UserFactory
from tests.portal.test_service_roles import snapshot
from tests.subscriptions.conftest import PREMIUM, buy_now


def _post(client, url, data):
    before = snapshot()
    response = client.post(url, data, follow=True)
    return response.content.decode(), snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "This field is required."),
        ({"company_name": "X" * 201}, "at most 200 characters"),
        ({"primary_domain": "=HYPERLINK(&quot;x&quot;)"}, "Enter a domain such as"),
        ({"contact_email": "not-an-email"}, "Enter a valid email address."),
        ({"country": "ZZ"}, "Select a valid choice"),
    ],
)
def test_customer_form_garbage(owner_a, client_for, data, message):
    valid = {
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
    payload = {} if not data else {**valid, **data}
    page, unchanged = _post(client_for(owner_a), reverse("customers:create"), payload)
    assert message in page and unchanged


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quantity, message",
    [
        ("abc", "Enter the number of seats"),
        ("-3", "Enter the number of seats"),
        ("", "Enter the number of seats"),
        ("100000", "maximum of 300"),
    ],
)
def test_seat_change_garbage(owner_a, onboard, catalog, client_for, quantity, message):

    sub = buy_now(
        member=owner_a,
        customer=onboard(owner_a),
        offer=catalog[PREMIUM],
        term="P1M",
        billing_frequency="monthly",
        quantity=5,
        idempotency_key="k",
    )
    page, unchanged = _post(
        client_for(owner_a),
        reverse("subscriptions:change_seats", kwargs={"subscription_id": sub.pk}),
        {"quantity": quantity, "idempotency_key": "x"},
    )
    assert message in page and unchanged


@pytest.mark.django_db
def test_purchase_for_another_resellers_customer_or_unknown_offer(
    owner_a, owner_b, onboard, catalog, client_for
):
    theirs = onboard(owner_b)
    page, unchanged = _post(
        client_for(owner_a),
        reverse("subscriptions:purchase"),
        {
            "customer": theirs.pk,
            "offer": 999999,
            "term": "P9Y",
            "billing_frequency": "weekly",
            "quantity": "many",
            "idempotency_key": "k",
        },
    )
    assert unchanged
    for message in (
        "Select a valid choice. That choice is not one of the available choices.",
        "Enter a whole number.",
    ):
        assert message in page


@pytest.mark.django_db
def test_mca_form_garbage_writes_nothing(
    client, owner_a, reseller_a, django_capture_on_commit_callbacks, mailoutbox
):
    import re

    from customers import services

    with django_capture_on_commit_callbacks(execute=True):
        services.mca_send(member=owner_a, customer=CustomerFactory(reseller=reseller_a))
    path = re.search(r"http://[^/]+(/c/mca/\S+/)", mailoutbox[-1].body).group(1)
    page, unchanged = _post(
        client, path, {"first_name": "", "last_name": "x" * 500, "email": "nope", "accept": "yes"}
    )
    assert unchanged
    assert "This field is required." in page and "Enter a valid email address." in page


@pytest.mark.django_db
def test_catalog_file_too_large(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(UserFactory(is_staff=True))
    big = SimpleUploadedFile("big.csv", b"sku" + b"x" * (20 * 1024 * 1024 + 1))
    page, unchanged = _post(client, reverse("subscriptions_ops:catalog_import"), {"file": big})
    assert "The catalog file may be at most 20 MB." in page and unchanged


@pytest.mark.django_db
def test_price_rule_garbage(owner_a, client_for):
    from subscriptions import services

    book = services.price_book_create(member=owner_a)
    page, unchanged = _post(
        client_for(owner_a),
        reverse("subscriptions:price_book", kwargs={"price_book_id": book.pk}),
        {"target": "all", "kind": "markup", "percent": "ten", "effective_from": "yesterday"},
    )
    assert unchanged
    assert "Enter a number." in page and "Enter a valid date." in page
