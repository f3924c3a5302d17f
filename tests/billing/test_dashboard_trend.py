"""The dashboard's 30-day Azure trend is cached per reseller under a key that changes with every
usage import: a visit after an import shows the new usage, a visit without one reads no usage
line, and a customer search is never served from the whole reseller's cache."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from billing.reports.dashboard import azure_trend
from billing.usage.models import UsageLine

pytestmark = pytest.mark.django_db


def reads_usage_lines(captured) -> bool:
    return any(UsageLine._meta.db_table in q["sql"] for q in captured.captured_queries)


def test_trend_is_read_once_per_import_and_follows_new_usage(
    us_reseller, charge_factory, usage_factory
):
    cache.clear()
    sub = charge_factory(us_reseller).subscription
    usage_factory(sub, on=dt.date(2026, 5, 30), cost="1.25")
    with scope(reseller=us_reseller):  # as the dashboard reads it
        check(us_reseller, sub, charge_factory, usage_factory)


def check(us_reseller, sub, charge_factory, usage_factory):
    first = azure_trend(us_reseller)
    assert first["series"][0]["values"][-1] == 1.25
    with CaptureQueriesContext(connection) as again:
        assert azure_trend(us_reseller) == first
    assert not reads_usage_lines(again)
    usage_factory(sub, on=dt.date(2026, 5, 31), cost="2.50")  # a new import
    after = azure_trend(us_reseller)
    assert after["labels"][-1] == "2026-05-31" and after["series"][0]["values"][-1] == 2.5
    other = charge_factory(us_reseller).subscription
    usage_factory(other, on=dt.date(2026, 5, 31), cost="4.00")
    with CaptureQueriesContext(connection) as searched:
        only = azure_trend(us_reseller, customer_ids={other.customer_id})
    assert reads_usage_lines(searched)
    assert only["series"][0]["values"][-1] == 4.0
    assert azure_trend(us_reseller)["series"][0]["values"][-1] == 6.5
