"""Report figures kept between requests, exactly as fresh as the data.

The heavy aggregates of a report that reads every reseller (operations' report without a
reseller chosen: a distributor's whole month) are kept in the cache under the *state* of the
data they read: the sum of the weights of `ReportDataChange`, which PostgreSQL triggers raise by
one in the same transaction as every statement that changes a table a report reads (migration
billing 0015, whoever writes: services, the admin, COPY, raw SQL). A reader that sees the sum
S reads data at least as new as S, so what it keeps under S is never older than S; a change
commits its rows and its step of the sum together, so after it no reader finds the old
figures. The key also holds the query's own SQL and parameters (filters, period, the price
rules written into its CASE). On SQLite (make run) there are no triggers: nothing is kept.
"""

import hashlib
import re

from django.core.cache import cache
from django.db import connection
from django.db.models import Sum

from billing.models import ReportDataChange

# the tables migration billing 0015 watches; a query reading any other is never kept
TRACKED = frozenset(
    {
        "billing_usagesummary",
        "subscriptions_chargeevent",
        "subscriptions_subscription",
        "subscriptions_seatassignment",
        "subscriptions_pricerule",
        "subscriptions_pricebook",
        "customers_customer",
        "portal_reseller",
        "subscriptions_offer",
        "subscriptions_producttype",
        "billing_billingcalendar",
    }
)
TIMEOUT = 24 * 3600  # an entry of an old state is never read again: let it expire
_TABLE = re.compile(r'(?:FROM|JOIN) "(\w+)"')


class UntrackedTable(Exception):
    """A query reads a table whose changes no trigger notes: keeping its result could show
    stale figures."""


def data_state() -> int | None:
    """The state of the data the reports read (None on SQLite: keep nothing)."""
    if connection.vendor != "postgresql":
        return None
    return ReportDataChange.objects.aggregate(s=Sum("weight", default=0))["s"]


def rows(queryset, state: int | None) -> list:
    """The rows of `queryset`, read once per state of the data."""
    if state is None:
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    untracked = set(_TABLE.findall(sql)) - TRACKED
    if untracked:
        raise UntrackedTable(f"no trigger notes changes to {sorted(untracked)}")
    key = "report:" + hashlib.sha256(f"{state}\n{sql}\n{params!r}".encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = list(queryset)
        cache.set(key, found, TIMEOUT)
    return found


def fold() -> int:
    """Folds the notes into one per reseller (daily): the sums every reader sees stay the
    same, in one statement. Returns how many notes it removed."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH gone AS (DELETE FROM billing_reportdatachange RETURNING reseller_id, weight),
                 folded AS (INSERT INTO billing_reportdatachange (reseller_id, weight)
                            SELECT reseller_id, sum(weight) FROM gone GROUP BY reseller_id
                            RETURNING 1)
            SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM folded)
            """
        )
        return cursor.fetchone()[0]
