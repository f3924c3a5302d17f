"""Usage lines partitioned by month on PostgreSQL (billing/usage/partitions.py, migration
billing 0010): the partitions exist, lines land in their month's partition, the beat job is
idempotent, an old month detaches, and the keys carry the partition key and the reseller."""

import io
from datetime import date

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django_scopes import scopes_disabled

from billing import tasks
from billing.usage import partitions, services
from billing.usage.models import UsageImport, UsageLine
from tests.billing.conftest import usage
from tests.billing.usage_helpers import rows_for, to_csv
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioned on PostgreSQL only"
)


def _import(reseller, data: bytes) -> UsageImport:
    with scopes_disabled():
        imp = UsageImport(reseller=reseller, file_name="usage.csv")
        imp.file.save("usage.csv", ContentFile(data), save=True)
    return services.usage_import_run(usage_import_id=imp.pk)


def _constraint(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'billing_usageline'::regclass AND conname = %s",
            [name],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_table_is_partitioned_by_month_of_usage_date_with_keys_that_carry_it():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_partkeydef('billing_usageline'::regclass), "
            "(SELECT count(*) FROM pg_inherits WHERE inhparent = 'billing_usageline'::regclass "
            "AND inhrelid = 'billing_usageline_default'::regclass)"
        )
        assert cursor.fetchone() == ("RANGE (usage_date)", 1)
    assert _constraint("billing_usageline_pkey") == "PRIMARY KEY (id, usage_date)"
    assert _constraint("one_usage_line_per_key") == (
        "UNIQUE (reseller_id, subscription_id, usage_date, natural_key)"
    )


@pytest.mark.django_db
def test_the_beat_job_creates_three_months_ahead_and_is_idempotent():
    assert date(2031, 11, 1) not in partitions.months()
    with time_machine.travel("2031-11-15 08:00Z"):
        assert tasks.create_usage_partitions() == 4  # this month and three ahead
    ahead = [date(2031, 11, 1), date(2031, 12, 1), date(2032, 1, 1), date(2032, 2, 1)]
    assert set(ahead) <= set(partitions.months())
    with time_machine.travel("2031-11-16 08:00Z"):
        assert tasks.create_usage_partitions() == 0  # again: nothing to do, nothing fails
    assert partitions.create_ahead(date(2031, 11, 30)) == []


@pytest.mark.django_db
def test_imported_lines_land_in_their_months_partition(reseller_a):
    subs = [SubscriptionFactory(reseller=reseller_a) for _ in range(2)]
    assert date(2024, 3, 1) not in partitions.months()
    rows = rows_for(subs, date(2024, 3, 30), 4)  # 30 March – 2 April
    imp = _import(reseller_a, to_csv(rows))
    assert imp.status == "done", imp.errors
    assert imp.imported_lines == len(rows)
    assert {date(2024, 3, 1), date(2024, 4, 1)} <= set(partitions.months())
    with scopes_disabled():
        lines = list(UsageLine.objects.filter(usage_import=imp))
    assert {(line.usage_date.month, partitions.partition_of(line.pk)) for line in lines} == {
        (3, "billing_usageline_p202403"),
        (4, "billing_usageline_p202404"),
    }
    # a re-import of the same file adds nothing (the unique key spans the partitions)
    again = _import(reseller_a, to_csv(rows))
    assert (again.imported_lines, again.skipped_duplicates) == (0, len(rows))


@pytest.mark.django_db
def test_a_line_of_a_month_without_partition_lands_in_the_default_one_and_stays(reseller_a):
    line = usage(SubscriptionFactory(reseller=reseller_a), on=date(2019, 5, 7), cost="2.00")
    assert partitions.partition_of(line.pk) == "billing_usageline_default"
    # creating May 2019 now would have to move the line: the month stays in the default
    assert partitions.ensure([date(2019, 5, 1)]) == []
    assert date(2019, 5, 1) not in partitions.months()
    with scopes_disabled():
        assert UsageLine.objects.get(pk=line.pk).billing_pre_tax_total == 2


@pytest.mark.django_db
def test_an_old_month_detaches_and_keeps_its_lines(reseller_a):
    partitions.ensure([date(2020, 1, 1)])
    line = usage(SubscriptionFactory(reseller=reseller_a), on=date(2020, 1, 9), cost="3.00")
    assert partitions.partition_of(line.pk) == "billing_usageline_p202001"
    call_command("usage_partitions", detach="2020-01", stdout=io.StringIO())
    assert date(2020, 1, 1) not in partitions.months()
    with scopes_disabled():
        assert not UsageLine.objects.filter(pk=line.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT billing_pre_tax_total FROM billing_usageline_p202001")
        assert cursor.fetchall() == [(3,)]


@pytest.mark.django_db
def test_a_month_first_seen_after_the_first_slice_gets_its_partition_too(reseller_a, monkeypatch):
    """A file is streamed in slices and partitions are created before the COPY from the first
    slice's months: a later slice's new month sends the file through the staged load, which
    creates every month's partition, instead of leaving its lines in the default partition
    (where they would keep the month from ever having its own)."""
    from billing.usage import pg

    monkeypatch.setattr(pg, "BATCH_ROWS", 10)  # slices of 10 lines (a day has 10)
    subs = [SubscriptionFactory(reseller=reseller_a) for _ in range(2)]
    assert {date(2023, 8, 1), date(2023, 9, 1)}.isdisjoint(partitions.months())
    rows = sorted(rows_for(subs, date(2023, 8, 29), 6), key=lambda r: r["UsageDate"])
    imp = _import(reseller_a, to_csv(rows))  # 29 August – 3 September, in date order
    assert imp.status == "done", imp.errors
    assert imp.imported_lines == len(rows)
    assert {date(2023, 8, 1), date(2023, 9, 1)} <= set(partitions.months())
    with scopes_disabled():
        lines = list(UsageLine.objects.filter(usage_import=imp))
    assert {partitions.partition_of(line.pk) for line in lines} == {
        "billing_usageline_p202308",
        "billing_usageline_p202309",
    }
