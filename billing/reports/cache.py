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

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db import connection

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


def states() -> tuple[int, dict[int | None, int]]:
    """(the database's own id, each reseller's state of the data and under None the state of
    no reseller's data), in one query. A reseller without changes yet is at 0; a database made
    anew (as for each test run) starts its states over, so its id is part of every key."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.oid, c.reseller_id, c.s FROM pg_database d LEFT JOIN"
            " (SELECT reseller_id, SUM(weight) AS s FROM billing_reportdatachange"
            "  GROUP BY reseller_id) c ON true"
            " WHERE d.datname = current_database()"
        )
        rows = cursor.fetchall()
    return rows[0][0], {reseller_id: s for _, reseller_id, s in rows if s is not None}


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


# the code that computes one reseller's kept figures: a deployment that changes it keeps none
_SOURCES = (
    Path(__file__).parent / "selectors.py",
    Path(__file__).parent / "compute.py",
    Path(__file__).parent / "reports.py",
    Path(__file__).parent / "rollup.py",
    Path(__file__),
    Path(__file__).parents[2] / "subscriptions" / "catalog" / "pricing.py",
)
CODE = hashlib.sha256(b"".join(path.read_bytes() for path in _SOURCES)).hexdigest()[:16]


def reseller_state(reseller_id: int) -> tuple:
    """The state of one reseller's data and of no reseller's data (catalog, calendars), with
    the database's own id (a database made anew, as for each test run, starts its states over),
    in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT oid FROM pg_database WHERE datname = current_database()),"
            " COALESCE(SUM(weight) FILTER (WHERE reseller_id = %s), 0),"
            " COALESCE(SUM(weight) FILTER (WHERE reseller_id IS NULL), 0)"
            " FROM billing_reportdatachange WHERE reseller_id = %s OR reseller_id IS NULL",
            [reseller_id, reseller_id],
        )
        return tuple(cursor.fetchone())


class Kept:
    """Figures of one reseller's report kept in the cache under the state of its data: `get`
    gives the kept figure, or computes and keeps it. `parts` says per figure what it depends on
    besides the data (the period, the filters); the state is read once, the kept figures
    fetched together, on first use."""

    def __init__(self, reseller_id: int, parts: dict[str, tuple]):
        self.reseller_id, self.parts = reseller_id, parts
        self._keys: dict[str, str] | None = None
        self._found: dict = {}
        self._kept_before: set[str] = set()

    def get(self, name: str, compute: Callable[[], Any], parts: tuple | None = None) -> Any:
        """The figure `name`: of the `parts` given at the start, or of these `parts` (a figure
        that depends on what is known later, such as a table's sort)."""
        key = self._fetch(name, parts)
        if key in self._found:
            return self._found[key]
        value = compute()
        cache.set(key, value, TIMEOUT)
        self._found[key] = value
        return value

    def found(self, name: str, parts: tuple | None = None) -> bool:
        """Whether the figure was kept (by an earlier visit at this state of the data)."""
        return self._fetch(name, parts) in self._kept_before

    def _fetch(self, name: str, parts) -> str:
        if self._keys is None:
            self._state = reseller_state(self.reseller_id)
            self._keys = {figure: self._key(figure, of) for figure, of in self.parts.items()}
            self._found = cache.get_many(self._keys.values())
            self._kept_before = set(self._found)
        if name not in self._keys:
            self._keys[name] = key = self._key(name, parts)
            found = cache.get(key, _MISSING)
            if found is not _MISSING:
                self._found[key] = found
                self._kept_before.add(key)
        return self._keys[name]

    def _key(self, name: str, parts) -> str:
        state = (CODE, self._state, self.reseller_id, name, parts)
        return "report-kept:" + hashlib.sha256(repr(state).encode()).hexdigest()


_MISSING = object()
