"""Report figures kept between requests (billing/reports/cache.py): every change to a table the
reports read, whoever makes it, moves the data's state, so a kept figure is never shown after
the data it was computed from changed."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from billing.models import BillingCalendar, ReportDataChange
from billing.reports import cache
from billing.tasks import fold_report_changes
from billing.usage.models import UsageLine
from subscriptions.models import ChargeEvent, Subscription
from tests import factories
from tests.billing import report_data as d

migration = importlib.import_module("billing.migrations.0015_report_data_changes")


@pytest.fixture
def kept(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache as django_cache

    django_cache.clear()
    yield
    django_cache.clear()


def test_the_module_and_the_migration_watch_the_same_tables():
    assert set(migration.TRACKED) == cache.TRACKED


def test_every_watched_table_has_its_four_triggers(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, count(*) FROM pg_trigger "
            "WHERE tgname LIKE 'report_change_%%' GROUP BY 1"
        )
        found = dict(cursor.fetchall())
    assert found == dict.fromkeys(migration.TRACKED, 4)


def test_inserts_updates_deletes_and_raw_sql_each_move_the_state(reseller_a, reseller_b):
    sub = d.azure_sub(reseller_a)
    states = [cache.data_state()]

    def moved():
        states.append(cache.data_state())
        return states[-1] > states[-2]

    d.charge(sub)  # insert, through the ORM
    assert moved()
    with scopes_disabled():
        Subscription.objects.filter(pk=sub.pk).update(term="P1Y")  # update
    assert moved()
    with connection.cursor() as cursor:  # raw SQL, as the billing run's COPY writes
        cursor.execute("UPDATE customers_customer SET company_name = 'Renamed'")
    assert moved()
    with scopes_disabled():
        ChargeEvent.objects.filter(subscription=sub).delete()  # delete
    assert moved()
    BillingCalendar.objects.create(country="DE", period_start_day=5)  # no reseller: everyone's
    assert moved()
    with scopes_disabled():
        Subscription.objects.filter(pk=-1).update(term="P1Y")  # no row changed: no change
    assert not moved()
    # a table no report reads moves nothing
    with scopes_disabled():
        UsageLine.objects.filter(pk=-1).delete()
        factories.UsageImportFactory(reseller=reseller_b)
    assert not moved()


def test_a_note_names_the_changed_rows_resellers(reseller_a, reseller_b):
    ReportDataChange.objects.all().delete()
    factories.CustomerFactory(reseller=reseller_b)
    assert list(ReportDataChange.objects.values_list("reseller_id", "weight")) == [
        (reseller_b.pk, 1)
    ]


def _totals():
    return (
        ChargeEvent.objects.order_by("currency")
        .values("currency")
        .annotate(price=Sum("price_amount"), n=Count("pk"))
    )


def test_kept_rows_are_read_once_per_state_and_again_after_a_change(kept, reseller_a):
    sub = d.seat_sub(reseller_a)
    d.charge(sub, price="120.00")
    with scopes_disabled():
        first = cache.rows(_totals(), cache.data_state())
        with CaptureQueriesContext(connection) as again:
            assert cache.rows(_totals(), cache.data_state()) == first
        assert len(again) == 1  # the state only
        assert first == [{"currency": "USD", "price": Decimal("120.00"), "n": 1}]

        d.charge(sub, price="30.00")  # a new charge: a new state, the new total
        assert cache.rows(_totals(), cache.data_state()) == [
            {"currency": "USD", "price": Decimal("150.00"), "n": 2}
        ]


def test_other_filters_are_other_rows(kept, reseller_a, reseller_b):
    d.charge(d.seat_sub(reseller_a), price="120.00")
    d.charge(d.seat_sub(reseller_b), price="7.00")
    with scopes_disabled():
        state = cache.data_state()
        a = cache.rows(_totals().filter(reseller=reseller_a), state)
        b = cache.rows(_totals().filter(reseller=reseller_b), state)
    assert (a[0]["price"], b[0]["price"]) == (Decimal("120.00"), Decimal("7.00"))


def test_a_query_of_a_table_without_triggers_is_refused(kept, reseller_a):
    with scopes_disabled(), pytest.raises(cache.UntrackedTable, match="billing_usageline"):
        cache.rows(UsageLine.objects.values("currency"), cache.data_state())


def test_without_a_state_nothing_is_kept(kept, reseller_a):
    sub = d.seat_sub(reseller_a)
    d.charge(sub, price="120.00")
    with scopes_disabled():
        cache.rows(_totals(), None)
        with connection.cursor() as cursor:  # unseen by any trigger? still read afresh
            cursor.execute("UPDATE subscriptions_chargeevent SET price_amount = 1")
        assert cache.rows(_totals(), None)[0]["price"] == Decimal("1.00")


def test_folding_keeps_every_sum(reseller_a, reseller_b):
    for _ in range(3):
        factories.CustomerFactory(reseller=reseller_a)
        factories.CustomerFactory(reseller=reseller_b)
    before = cache.data_state()
    of_a = ReportDataChange.objects.filter(reseller_id=reseller_a.pk).aggregate(s=Sum("weight"))
    removed = fold_report_changes()  # the daily job
    assert removed > 0 and cache.data_state() == before
    assert ReportDataChange.objects.filter(reseller_id=reseller_a.pk).count() == 1
    assert (
        ReportDataChange.objects.filter(reseller_id=reseller_a.pk).aggregate(s=Sum("weight"))
        == of_a
    )


def test_a_price_rule_changed_in_a_past_period_still_moves_the_state(reseller_a):
    """What a report prices with is watched too: a rule edited in the admin."""
    book = factories.PriceBookFactory(reseller=reseller_a, customer=None, name="Default")
    rule = factories.PriceRuleFactory(
        book=book, kind="markup", percent=10, effective_from=date(2026, 1, 1)
    )
    before = cache.data_state()
    rule.percent = 12
    rule.save()
    assert cache.data_state() > before
