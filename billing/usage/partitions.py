"""Monthly partitions of the usage line table on PostgreSQL (migration billing 0010).

`billing_usageline` is partitioned by RANGE (usage_date), one partition a month named
`billing_usageline_pYYYYMM`, plus `billing_usageline_default`, which takes a line of a month
that has no partition of its own (a file of years ago, a test's odd date): nothing is ever
refused for want of a partition.

- `create_ahead` (the daily beat job `billing.tasks.create_usage_partitions`) creates this
  month's partition and the next `AHEAD` months' — idempotent.
- `ensure` creates the partitions of the months an import is about to load, before it
  loads (a month whose lines already sit in the default partition stays there).
- Old months are detached, not deleted: `python manage.py usage_partitions --detach YYYY-MM`
  runs `ALTER TABLE billing_usageline DETACH PARTITION billing_usageline_pYYYYMM` (an
  exclusive lock on the table for the moment of the catalogue change: run it outside the
  import hours; PostgreSQL refuses CONCURRENTLY while a default partition exists). The
  detached table keeps the lines
  (archive it with pg_dump, then drop it); the monthly `UsageSummary` rows, which the reports
  and billing runs read, stay. A detached month's daily lines are gone from the usage page and
  from the reconciliation of its period, so detach only months whose periods are closed and
  reconciled.

On other databases (SQLite for `make run`) the table is a plain table and every function here
does nothing.
"""
# SQL text is built from our own table names; values are parameters.
# ruff: noqa: S608

import re
from collections.abc import Iterable
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import DatabaseError, connection, transaction

from billing.usage.models import UsageLine

TABLE = UsageLine._meta.db_table
DEFAULT = f"{TABLE}_default"
AHEAD = 3  # months created ahead by the beat job
_NAME = re.compile(rf"^{TABLE}_p(\d{{4}})(\d{{2}})$")


def partitioned() -> bool:
    return connection.vendor == "postgresql"


def name(month: date) -> str:
    return f"{TABLE}_p{month:%Y%m}"


def months() -> list[date]:
    """The months that have a partition of their own, in order."""
    if not partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        found = [_NAME.match(relname) for (relname,) in cursor.fetchall()]
    return sorted(date(int(m[1]), int(m[2]), 1) for m in found if m)


def partition_of(line_id: int) -> str | None:
    """The partition a stored line is in (for tests and operations)."""
    if not partitioned():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [line_id])
        row = cursor.fetchone()
    return row[0] if row else None


def ensure(wanted: Iterable[date]) -> list[date]:
    """Create the partitions of these months that do not exist; returns the months created.
    A month whose lines are in the default partition already keeps them there (moving them
    would lock the table for the move)."""
    if not partitioned():
        return []
    wanted = {m.replace(day=1) for m in wanted}
    missing = sorted(wanted - set(months()))
    created = []
    for month in missing:
        end = month + relativedelta(months=1)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT EXISTS (SELECT FROM {DEFAULT} "
                    "WHERE usage_date >= %s AND usage_date < %s)",
                    [month, end],
                )
                if cursor.fetchone()[0]:
                    continue
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {name(month)} PARTITION OF {TABLE} "
                    "FOR VALUES FROM (%s) TO (%s)",
                    [month, end],
                )
        except DatabaseError:
            # another import or the beat job created it in the meantime (the catalogue's
            # unique keys refuse the second CREATE): the month has its partition
            if month in months():
                continue
            raise
        created.append(month)
    return created


def create_ahead(today: date, ahead: int = AHEAD) -> list[date]:
    """This month's partition and the next `ahead` months' (beat, daily); idempotent."""
    first = today.replace(day=1)
    return ensure(first + relativedelta(months=n) for n in range(ahead + 1))


def detach(month: date) -> str:
    """Detach one month's partition; returns the detached table's name, which keeps the
    lines."""
    if not partitioned():
        raise RuntimeError("Usage lines are partitioned on PostgreSQL only.")
    month = month.replace(day=1)
    if month not in months():
        raise ValueError(f"No partition for {month:%Y-%m}.")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name(month)}")
    return name(month)
