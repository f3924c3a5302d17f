"""The portal's own 300-seat cap check is serialised by the customer's row lock (issue 20,
item 8): a seat increase waits while another transaction holds the customer, so two
concurrent increases cannot both pass the cap check."""

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django_scopes import scopes_disabled

from customers.models import Customer
from subscriptions import services
from tests.subscriptions.conftest import BASIC, buy_now


@pytest.fixture
def seeded(transactional_db):
    """Transactional tests flush the rows the data migrations seeded; put them back."""
    from django.apps import apps

    from programs.defaults import ensure_programs
    from subscriptions.catalog.defaults import ensure_product_types

    ensure_product_types(apps)
    ensure_programs(apps)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_seat_increase_waits_for_the_customers_row_lock(seeded, owner_a, onboard, catalog):
    customer = onboard(owner_a)
    sub = buy_now(
        member=owner_a,
        customer=customer,
        offer=catalog[BASIC],
        term="P1M",
        billing_frequency="monthly",
        quantity=10,
        idempotency_key="k1",
    )
    locked, release = threading.Event(), threading.Event()

    def hold_the_customer():
        # NO KEY UPDATE: conflicts with the cap check's lock, not with the key-share locks that
        # inserting rows referring to the customer take
        from django.db import connection as conn

        try:
            with transaction.atomic(), scopes_disabled():
                Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)
                locked.set()
                release.wait(10)
        finally:
            conn.close()

    holder = threading.Thread(target=hold_the_customer)
    holder.start()
    assert locked.wait(10)
    try:
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            services.subscription_change_seats(
                member=owner_a, subscription=sub, quantity=12, idempotency_key="more"
            )
    finally:
        release.set()
        holder.join()
    sub.refresh_from_db()
    assert sub.quantity == 10
