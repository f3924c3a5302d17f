"""The state of the data the reports read, per reseller, so that report sums can be kept
between requests and are never older than the data.

PostgreSQL triggers (migration billing 0015) add a `ReportDataChange` in the same transaction as
every statement that inserts, updates or deletes rows of a table a report reads, whoever writes
(services, the admin, COPY, raw SQL): one per reseller whose rows changed, or one of no reseller
(catalog, calendars). A reseller's state is the sum of its weights: it only grows, one step per
committed change. A reader that sees state S reads data at least as new as S, so what it keeps
under S is never older than S; a change commits its rows and its step together, so after it no
reader finds what was kept under the old state. On SQLite (make run) there are no triggers:
nothing is kept.
"""

from django.db import connection
from django.db.models import Sum

from billing.models import ReportDataChange

# the tables migration billing 0015 watches: a kept sum may read only these
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
TIMEOUT = 24 * 3600  # what was kept under an old state is never read again: let it expire


def keeps() -> bool:
    return connection.vendor == "postgresql"


def states() -> dict[int | None, int]:
    """Each reseller's state of the data, and under None the state of no reseller's data (a
    reseller without changes yet is at 0)."""
    return dict(
        ReportDataChange.objects.order_by().values_list("reseller_id").annotate(s=Sum("weight"))
    )


def fold() -> int:
    """Folds the changes into one per reseller (daily), in one statement: every state a reader
    sees stays the same. Returns how many rows it removed."""
    if not keeps():
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
