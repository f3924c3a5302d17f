"""Load of checked usage rows (billing/columnar.py) into PostgreSQL, and of their monthly
sums into UsageSummary, in one transaction.

A file is first streamed by one binary COPY straight into the usage table while it is still
being read and checked: a second thread parses, checks and encodes (pgpq) a slice of lines
while PostgreSQL stores the slice before and computes each line's natural key (a generated
column: hashtextextended() in C, no hashing in Python). The table's unique (reseller,
subscription, day, natural key) index refuses a line that is there already or twice in the
file; then, or when a line has a problem, the COPY is rolled back to its savepoint and the
caller checks the whole file and reports its problems or loads it through staging.

Through staging (a re-import, a correction of some days): binary COPY into a temporary table,
then INSERT … ON CONFLICT DO NOTHING, so what is there already counts as a duplicate. A file
whose first lines are there already (a re-import) is streamed into staging the same way, read
and checked while PostgreSQL stores the slice before.
"""
# SQL text is built from our own column names; file data is always COPY data or a parameter.
# ruff: noqa: S608

import contextlib
import io
import itertools
import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg2
import pyarrow as pa
import pyarrow.compute as pc
from django.db import OperationalError, connection, transaction
from pgpq import ArrowToPostgresBinaryEncoder

from billing.usage import columnar, partitions, summary
from billing.usage.models import KEY_COLUMNS, UsageLine, UsageSummary
from subscriptions.catalog.models import Offer
from subscriptions.models import Subscription

log = logging.getLogger(__name__)

TABLE = UsageLine._meta.db_table
CONFLICT = "(reseller_id, subscription_id, usage_date, natural_key)"  # UsageLine's unique key
SCHEMA = columnar.SCHEMA.append(pa.field("usage_import_id", pa.int64()))
BATCH_ROWS = 50_000
# UsageLine.natural_key of a staged row, as the table's generated column computes it
# (billing.usage.models.KeyHash, migration 0013).
KEY_SQL = "hashtextextended(" + " || E'\\x1f' || ".join(f"s.{c}" for c in KEY_COLUMNS) + ", 0)"


class NewMonth(Exception):
    """A slice after the first has lines of a month without a partition of its own."""


class Twice(Exception):
    """A line is in the file twice (staged: no unique index refused it)."""


@dataclass
class Loaded:
    lines: int
    inserted: int
    marketplace: int


def stream(import_id: int, batches: Iterable[pa.Table]) -> Loaded | None:
    """COPY rows as they come (columnar.stream): straight into the table or, when the first
    lines are there already (a re-import, days imported before), into staging, then insert
    those not there already. None (and nothing written) when a line has a problem, or is
    there already or twice when going straight in."""
    batches = iter(batches)
    try:
        first = next(batches, None)
    except columnar.Problem:
        return None
    if first is None:
        return None
    staged = _already_there(first.slice(0, 1000))
    # the months the lines may go to: their partitions are made before, in a transaction of
    # their own (none can be made while the COPY or the staged rows hold the table)
    partitions.ensure(columnar.months_of(first))
    prepared = set(partitions.months()) | columnar.months_of(first)
    sums, months, counts = [], set(), {"lines": 0, "marketplace": 0}

    def counted():
        for rows in itertools.chain([first], batches):
            if not columnar.months_of(rows) <= prepared:
                raise NewMonth
            sums.append(columnar.monthly_sums(rows))
            months.update(columnar.months(rows))
            counts["lines"] += rows.num_rows
            counts["marketplace"] += pc.sum(rows.column("is_marketplace")).as_py() or 0
            yield rows

    with (
        connection.cursor() as cursor,
        contextlib.closing(_BinaryStream(counted(), import_id)) as data,
    ):
        try:
            with transaction.atomic():
                if staged:
                    _stage(cursor, data)
                    if _staged_twice(cursor):  # as the table's unique index would refuse
                        raise Twice
                    inserted = _insert_staged(cursor)
                else:
                    _copy(cursor.cursor, TABLE, data)
                    inserted = counts["lines"]
                started = time.perf_counter()
                if inserted == counts["lines"]:  # every line new: their sums are added
                    _add_to_summaries(cursor.cursor, columnar.add_sums(pa.concat_tables(sums)))
                elif inserted:
                    summary.refresh(months)
                log.debug("%6.2f s  summaries", time.perf_counter() - started)
        except (
            columnar.Problem,
            NewMonth,
            Twice,
            psycopg2.errors.UniqueViolation,
            psycopg2.errors.DeadlockDetected,
            OperationalError,  # Django's, around a deadlock in a statement after the COPY
        ) as e:
            if isinstance(e, OperationalError) and not _deadlock(e):
                raise
            # a line with a problem, there already or twice, a month without its partition
            # after the first slice, or an import of the same days running alongside: the
            # whole file is checked, then loaded through staging (which creates the
            # partitions of all its months)
            log.info("Usage import %s: checked whole (%s)", import_id, type(e).__name__)
            return None
    return Loaded(lines=counts["lines"], inserted=inserted, marketplace=counts["marketplace"])


def _deadlock(error: OperationalError) -> bool:
    return isinstance(error.__cause__, psycopg2.errors.DeadlockDetected)


def _already_there(rows: pa.Table) -> bool:
    """Whether the table has lines of any subscription and day of these lines (a sample: the
    COPY finds any other line there already)."""
    days = (
        rows.select(["reseller_id", "subscription_id", "usage_date"])
        .group_by(["reseller_id", "subscription_id", "usage_date"])
        .aggregate([])
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT FROM unnest(%s::bigint[], %s::bigint[], %s::date[]) "
            f"AS k(r, s, d) JOIN {TABLE} u ON (u.reseller_id, u.subscription_id, u.usage_date) "
            f"= (k.r, k.s, k.d))",
            [days.column(i).to_pylist() for i in range(3)],
        )
        return cursor.fetchone()[0]


def load(import_id: int, rows: pa.Table) -> int:
    """Insert the checked rows not imported before (through staging); returns how many."""
    partitions.ensure(columnar.months_of(rows))
    with connection.cursor() as cursor:
        with contextlib.closing(_BinaryStream(rows.to_batches(BATCH_ROWS), import_id)) as data:
            _stage(cursor, data)
        inserted = _insert_staged(cursor)
    if inserted == rows.num_rows:
        with connection.cursor() as cursor:
            _add_to_summaries(cursor.cursor, columnar.monthly_sums(rows))
    elif inserted:
        summary.refresh(columnar.months(rows))
    return inserted


def _stage(cursor, data: "_BinaryStream") -> None:
    """COPY the rows into a temporary table of the usage table's columns."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE usage_staging ON COMMIT DROP AS "
        f"SELECT {', '.join(SCHEMA.names)} FROM {TABLE} WITH NO DATA"
    )
    _copy(cursor.cursor, "usage_staging", data)


def _staged_twice(cursor) -> bool:
    """Whether a staged line is there twice (same key as the table's unique index)."""
    cursor.execute(
        f"SELECT EXISTS (SELECT FROM usage_staging s GROUP BY s.reseller_id, s.subscription_id, "
        f"s.usage_date, {KEY_SQL} HAVING count(*) > 1)"
    )
    return cursor.fetchone()[0]


def _insert_staged(cursor) -> int:
    """Insert the staged rows not there already; returns how many."""
    columns = ", ".join(SCHEMA.names)
    started = time.perf_counter()
    # the lines there already are left out by one index probe each, before the insert
    # (cheaper than letting each one conflict: no tuple routed, no key computed twice)
    cursor.execute(
        f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM usage_staging s "
        f"WHERE NOT EXISTS (SELECT FROM {TABLE} u WHERE (u.reseller_id, u.subscription_id, "
        f"u.usage_date, u.natural_key) = (s.reseller_id, s.subscription_id, s.usage_date, "
        f"{KEY_SQL})) ON CONFLICT {CONFLICT} DO NOTHING"
    )
    log.debug("%6.2f s  INSERT … WHERE NOT EXISTS", time.perf_counter() - started)
    inserted = cursor.rowcount
    cursor.execute("DROP TABLE usage_staging")
    return inserted


_VALUES = [
    n
    for n in SCHEMA.names
    if n not in ("reseller_id", "subscription_id", "usage_date", "usage_import_id")
]


def replace(import_id: int, rows: pa.Table, replacing) -> tuple[int, list[tuple]]:
    """Replace the lines of the earlier imports `replacing.previous` dated
    `replacing.start`–`replacing.end` by `rows`: a line alike in key and every value stays,
    the others are deleted, then the rows not there are inserted (ON CONFLICT DO NOTHING: a
    line there from another import is not added twice). Returns (lines inserted,
    [(reseller id, day)] of the lines deleted); the caller refreshes the summaries."""
    partitions.ensure(columnar.months_of(rows) if rows.num_rows else ())
    columns = ", ".join(SCHEMA.names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE usage_staging ON COMMIT DROP AS "
            f"SELECT {columns} FROM {TABLE} WITH NO DATA"
        )
        if rows.num_rows:
            with contextlib.closing(_BinaryStream(rows.to_batches(BATCH_ROWS), import_id)) as data:
                _copy(cursor.cursor, "usage_staging", data)
        removed = []
        if replacing.previous:
            cursor.execute(
                f"DELETE FROM {TABLE} u WHERE u.usage_import_id = ANY(%s) "
                f"AND u.usage_date BETWEEN %s AND %s AND NOT EXISTS ("
                f"SELECT FROM usage_staging s WHERE (s.reseller_id, s.subscription_id, "
                f"s.usage_date) = (u.reseller_id, u.subscription_id, u.usage_date) "
                f"AND {KEY_SQL} = u.natural_key "
                f"AND ({', '.join(f's.{n}' for n in _VALUES)}) "
                f"= ({', '.join(f'u.{n}' for n in _VALUES)})) "
                f"RETURNING u.reseller_id, u.usage_date",
                [replacing.previous, replacing.start, replacing.end],
            )
            removed = cursor.fetchall()
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM usage_staging "
            f"ON CONFLICT {CONFLICT} DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute("DROP TABLE usage_staging")
    return inserted, removed


def _copy(cursor, table: str, data: "_BinaryStream") -> None:
    """COPY the stream; what stopped the thread making it (Problem, Fallback, FileProblem, a
    bug) is raised as itself, not as the COPY's failure."""
    started = time.perf_counter()
    try:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(SCHEMA.names)}) FROM STDIN WITH (FORMAT binary)",
            data,
            size=1 << 20,
        )
    except psycopg2.Error:
        if data.failed is not None:
            raise data.failed from None
        raise
    log.debug("%6.2f s  COPY into %s", time.perf_counter() - started, table)


class _Closed(Exception):
    pass


class _BinaryStream:
    """PostgreSQL's binary COPY data of the batches, made in a thread of its own while the
    database reads the batch before (pgpq and Arrow work without Python's lock)."""

    def __init__(self, batches: Iterable, import_id: int):
        self.chunks: queue.Queue = queue.Queue(maxsize=4)
        self.failed: BaseException | None = None
        self.closed = threading.Event()
        threading.Thread(target=self._encode, args=(batches, import_id), daemon=True).start()

    def _encode(self, batches, import_id) -> None:
        try:
            try:
                encoder = ArrowToPostgresBinaryEncoder(SCHEMA)
                self._put(encoder.write_header())
                for rows in batches:
                    if isinstance(rows, pa.RecordBatch):
                        rows = pa.Table.from_batches([rows])
                    import_id_column = pa.repeat(pa.scalar(import_id, pa.int64()), rows.num_rows)
                    for batch in rows.append_column(
                        "usage_import_id", import_id_column
                    ).to_batches():
                        # pgpq may keep a small batch for later; b"" would end the reading
                        if data := encoder.write_batch(batch):
                            self._put(data)
                self._put(encoder.finish())
            except _Closed:
                raise
            except BaseException as e:  # noqa: BLE001 - raised again by the reading thread
                self.failed = e
            self._put(b"")
        except _Closed:
            pass

    def _put(self, chunk: bytes) -> None:
        while not self.closed.is_set():
            try:
                self.chunks.put(chunk, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Closed

    def close(self) -> None:
        """Stop the thread (the reader has stopped reading: the COPY failed)."""
        self.closed.set()

    def read(self, size: int = -1) -> bytes:
        chunk = self.chunks.get()
        if self.failed is not None:
            raise self.failed
        return chunk


def _add_to_summaries(cursor, sums: pa.Table) -> None:
    """Add the monthly sums of new lines to UsageSummary, as `summary.refresh` would
    compute them from all lines: sums added, meter names their maximum."""
    if not sums.num_rows:
        return
    cursor.execute(
        "CREATE TEMPORARY TABLE usage_sums (reseller_id bigint, customer_id bigint, "
        "subscription_id bigint, month date, meter_id text, currency text, "
        "meter_category text, meter_sub_category text, meter_name text, "
        "unit_of_measure text, quantity numeric, pre_tax_total numeric, lines bigint) "
        "ON COMMIT DROP"
    )
    encoder = ArrowToPostgresBinaryEncoder(sums.schema)
    data = b"".join(
        [encoder.write_header(), *map(encoder.write_batch, sums.to_batches()), encoder.finish()]
    )
    cursor.copy_expert("COPY usage_sums FROM STDIN WITH (FORMAT binary)", io.BytesIO(data))
    summary = UsageSummary._meta.db_table
    names = ("meter_category", "meter_sub_category", "meter_name", "unit_of_measure")
    cursor.execute(
        f"INSERT INTO {summary} (reseller_id, customer_id, subscription_id, product_type_id, "
        f"month, meter_id, currency, {', '.join(names)}, quantity, pre_tax_total, lines) "
        f"SELECT s.reseller_id, s.customer_id, s.subscription_id, o.product_type_id, s.month, "
        f"s.meter_id, s.currency, {', '.join(f'max(s.{n})' for n in names)}, sum(s.quantity), "
        f"sum(s.pre_tax_total), sum(s.lines) FROM usage_sums s "
        f"JOIN {Subscription._meta.db_table} sub ON sub.id = s.subscription_id "
        f"JOIN {Offer._meta.db_table} o ON o.id = sub.offer_id "
        f"GROUP BY 1, 2, 3, 4, 5, 6, 7 "
        f"ON CONFLICT (reseller_id, subscription_id, month, meter_id, currency) DO UPDATE SET "
        f"quantity = {summary}.quantity + EXCLUDED.quantity, "
        f"pre_tax_total = {summary}.pre_tax_total + EXCLUDED.pre_tax_total, "
        f"lines = {summary}.lines + EXCLUDED.lines, "
        f"product_type_id = EXCLUDED.product_type_id, customer_id = EXCLUDED.customer_id, "
        + ", ".join(f"{n} = GREATEST({summary}.{n}, EXCLUDED.{n})" for n in names)
    )
    cursor.execute("DROP TABLE usage_sums")
