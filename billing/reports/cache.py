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
import logging
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

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


# Which database and history a state belongs to, and whether it may be kept under at all:
# - the cluster's system identifier, the database's oid and the timeline: a database made anew
#   (each test run), restored into another cluster or recovered to a point in time starts its
#   states over, and Redis outlives it;
# - the reading transaction has written nothing (its own uncommitted changes would count in
#   the state it sees, and a rollback would give that state back to other data);
# - every watched table still has its triggers (a table rebuilt by a later migration would
#   lose them: its changes would then move no state).
_WHERE = """
    (SELECT system_identifier FROM pg_control_system()),
    (SELECT oid FROM pg_database WHERE datname = current_database()),
    (SELECT timeline_id FROM pg_control_checkpoint()),
    (txid_current_if_assigned() IS NULL OR %s)
    AND (SELECT count(*) FROM pg_trigger
         WHERE tgname LIKE 'report_change_%%' AND tgenabled <> 'D') = %s
"""
_TRIGGERS = 4 * len(TRACKED)  # insert, update, delete and truncate on each watched table


def _own_writes() -> bool:
    """Whether figures may be kept in a transaction that has written (tests only: a test's
    own transaction stands for committed data)."""
    return getattr(settings, "REPORT_KEEP_AFTER_OWN_WRITES", False)


def states() -> tuple[tuple, dict[int | None, int]] | None:
    """(the database and history the states belong to, each reseller's state of the data and
    under None the state of no reseller's data), in one query; None when nothing may be kept
    (see `_WHERE`; on SQLite). A reseller without changes yet is at 0."""
    if not keeps():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.*, c.reseller_id, c.s FROM (SELECT " + _WHERE + ") w LEFT JOIN"  # noqa: S608 — constants
            " (SELECT reseller_id, SUM(weight) AS s FROM billing_reportdatachange"
            "  GROUP BY reseller_id) c ON true",
            [_own_writes(), _TRIGGERS],
        )
        rows = cursor.fetchall()
    if not rows[0][3]:
        return None
    return rows[0][:3], {reseller_id: s for *_, reseller_id, s in rows if s is not None}


def fold() -> int:
    """Folds the changes into one per reseller (every 10 minutes), in one statement: every
    state a reader sees stays the same. Returns how many rows it removed."""
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


# The code that computes and renders what is kept: every module and template of the project
# (a report page reaches the URL configuration, the models' labels, the rounding rules…) and
# the libraries that render it. A deployment that changes any of them keeps nothing kept before.
_ROOT = Path(__file__).parents[2]
_FOLDERS = ("api", "billing", "customers", "partner_center", "portal", "programs")
_FOLDERS += ("subscriptions", "support", "webhooks", "templates")
_SOURCES = tuple(
    sorted(
        path
        for folder in _FOLDERS
        for path in (_ROOT / folder).rglob("*")
        if path.suffix in (".py", ".html") and "migrations" not in path.parts
    )
)
_LIBRARIES = ("django", "django-filter", "django-tables2", "babel")
CODE = hashlib.sha256(
    b"".join(path.read_bytes() for path in _SOURCES)
    + repr([metadata.version(name) for name in _LIBRARIES]).encode()
).hexdigest()[:16]


def reseller_state(reseller_id: int) -> tuple | None:
    """The state of one reseller's data and of no reseller's data (catalog, calendars), with
    the database and history they belong to, in one query; None when nothing may be kept."""
    if not keeps():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + _WHERE + ","  # noqa: S608 — constants, the ids are parameters
            " COALESCE(SUM(weight) FILTER (WHERE reseller_id = %s), 0),"
            " COALESCE(SUM(weight) FILTER (WHERE reseller_id IS NULL), 0)"
            " FROM billing_reportdatachange WHERE reseller_id = %s OR reseller_id IS NULL",
            [_own_writes(), _TRIGGERS, reseller_id, reseller_id],
        )
        *where, ok, own, everyone = cursor.fetchone()
    return (*where, own, everyone) if ok else None


def key(kind: str, *parts) -> str:
    """The cache key of a kept figure: its kind, the code computing it and what it depends on
    (a state of the data, the period, the filters)."""
    return f"report-{kind}:" + hashlib.sha256(repr((CODE, *parts)).encode()).hexdigest()


def get_many(keys) -> dict:
    """Kept values of these keys; none when the cache cannot be reached (the figures are then
    computed, as without a cache: a report never fails for want of Redis)."""
    try:
        return cache.get_many(keys)
    except Exception:  # noqa: BLE001 — any backend's connection error
        logger.warning("report cache unreachable: figures computed afresh", exc_info=True)
        return {}


def set_many(values: dict) -> None:
    try:
        cache.set_many(values, TIMEOUT)
    except Exception:  # noqa: BLE001
        logger.warning("report cache unreachable: figures not kept", exc_info=True)


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
        if key is None:  # nothing may be kept
            return compute()
        if key in self._found:
            return self._found[key]
        value = compute()
        set_many({key: value})
        self._found[key] = value
        return value

    def expect(self, name: str, *parts) -> None:
        """A figure whose parts are known after the start, before the first use: fetched
        with the others (one round trip to the cache)."""
        self.parts[name] = parts

    def put(self, name: str, value: Any) -> None:
        """Keeps `value` as the figure `name` (of the `parts` given at the start)."""
        key = self._fetch(name, None)
        if key is not None:
            set_many({key: value})
            self._found[key] = value

    def found(self, name: str, parts: tuple | None = None) -> bool:
        """Whether the figure was kept (by an earlier visit at this state of the data)."""
        return self._fetch(name, parts) in self._kept_before

    def _fetch(self, name: str, parts) -> str | None:
        if self._keys is None:
            self._state = reseller_state(self.reseller_id)
            if self._state is None:
                self._keys = {}
                return None
            self._keys = {figure: self._key(figure, of) for figure, of in self.parts.items()}
            self._found = get_many(self._keys.values())
            self._kept_before = set(self._found)
        if self._state is None:
            return None
        if name not in self._keys:
            self._keys[name] = key = self._key(name, parts)
            found = get_many([key])
            if key in found:
                self._found[key] = found[key]
                self._kept_before.add(key)
        return self._keys[name]

    def _key(self, name: str, parts) -> str:
        return key("kept", self._state, self.reseller_id, name, parts)
