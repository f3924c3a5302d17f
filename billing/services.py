"""Usage import: upload (reseller or operations), Partner Center fetch, and the import run.

A run validates the whole input first; any problem rejects it whole and writes no usage line.
On PostgreSQL a CSV file is checked and loaded set-based (billing/usage_pg.py: COPY of the raw
file, the checks in SQL, one INSERT … SELECT … ON CONFLICT (natural_key) DO NOTHING, one
transaction). Partner Center fetches, other databases and files PostgreSQL's CSV parser could
read differently go line by line (billing/usage_csv.py), then load in one transaction: on
PostgreSQL through COPY into a temporary staging table and the same INSERT; elsewhere with
bulk_create(ignore_conflicts=True). Lines already imported count as duplicates.
"""

import csv
import hashlib
import io
import tempfile
import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import usage_csv, usage_pg
from billing.models import UsageImport, UsageLine
from customers.models import Customer
from partner_center.errors import GatewayError
from partner_center.gateway import get_gateway, iter_usage
from portal.audit import audit
from portal.permissions import require, require_staff
from portal.tenancy import member_service
from subscriptions.models import Subscription

MAX_FETCH_DAYS = 92
# PostgreSQL: CSV files are checked and loaded set-based in SQL (billing/usage_pg.py); False
# forces the line-by-line path (tests compare the two).
SET_BASED = True


def _size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _too_large(size: int) -> str | None:
    limit = settings.USAGE_IMPORT_MAX_BYTES
    if size > limit:
        return (f"The file is {_size_text(size)}; usage files may be at most "
                f"{_size_text(limit)}. Split it by date range and upload the parts.")
    return None


def _start(usage_import: UsageImport) -> None:
    """Queue the run once the row is committed (the worker must see it)."""
    from billing.tasks import run_usage_import

    usage_import.task_id = str(uuid.uuid4())
    usage_import.save(update_fields=["task_id"])
    transaction.on_commit(lambda: run_usage_import.apply_async(
        kwargs={"usage_import_id": usage_import.pk}, task_id=usage_import.task_id))


def _create_upload(*, reseller, user, file) -> UsageImport:
    name = (getattr(file, "name", "") or "usage.csv").rsplit("/", 1)[-1][:255]
    message = _too_large(file.size)
    if message:
        # Recorded as rejected; the file itself is not kept.
        return UsageImport.objects.create(
            reseller=reseller, uploaded_by=user, file_name=name, status=UsageImport.Status.REJECTED,
            errors=[usage_csv.problem(None, "file", message)], finished_at=timezone.now())
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    usage_import = UsageImport(reseller=reseller, uploaded_by=user, file_name=name,
                               sha256=digest.hexdigest())
    usage_import.file.save(f"{uuid.uuid4().hex}.csv", file, save=False)
    usage_import.save()
    _start(usage_import)
    return usage_import


@member_service
def usage_import_upload(*, member, file) -> UsageImport:
    """A reseller uploads a usage CSV of its own customers; the import runs in a task."""
    require(member, "usage.import")
    usage_import = _create_upload(reseller=member.reseller, user=member.user, file=file)
    audit(actor=member.user, reseller=member.reseller, obj=usage_import,
          action="billing.usage_import.upload",
          data={"file": usage_import.file_name, "sha256": usage_import.sha256})
    return usage_import


@transaction.atomic
def usage_import_upload_ops(*, user, file) -> UsageImport:
    """Operations upload a usage CSV for any reseller's customers."""
    require_staff(user)
    with scopes_disabled():
        usage_import = _create_upload(reseller=None, user=user, file=file)
    audit(actor=user, reseller=None, obj=usage_import, action="billing.usage_import.upload",
          data={"file": usage_import.file_name, "sha256": usage_import.sha256})
    return usage_import


@transaction.atomic
def usage_fetch_start(*, user, start: date, end: date) -> UsageImport:
    """Operations fetch Partner Center's usage of [start, end] for all resellers."""
    require_staff(user)
    if end < start:
        raise ValidationError(f"The period ends ({end}) before it starts ({start}).")
    if (end - start).days + 1 > MAX_FETCH_DAYS:
        raise ValidationError(f"Fetch at most {MAX_FETCH_DAYS} days at a time.")
    if end > timezone.now().date():
        raise ValidationError(f"The period may not end in the future (after "
                              f"{timezone.now().date()}).")
    with scopes_disabled():
        usage_import = UsageImport.objects.create(
            source=UsageImport.Source.GATEWAY, uploaded_by=user, period_start=start,
            period_end=end, file_name=f"Partner Center usage {start} – {end}")
        _start(usage_import)
    audit(actor=user, reseller=None, obj=usage_import, action="billing.usage_import.fetch",
          data={"start": str(start), "end": str(end)})
    return usage_import


# --- the run ----------------------------------------------------------------------------

def _known(usage_import: UsageImport) -> usage_csv.Known:
    """Every customer with a tenant ID and every subscription the import may name: two queries."""
    customers = Customer.objects.exclude(tenant_id=None)
    subscriptions = Subscription.objects.all()
    label = "the portal"
    if usage_import.reseller_id:
        customers = customers.filter(reseller_id=usage_import.reseller_id)
        subscriptions = subscriptions.filter(reseller_id=usage_import.reseller_id)
        label = "yours"
    return usage_csv.Known(
        customers={str(t): usage_csv.KnownCustomer(pk, r, cur, name) for pk, t, r, cur, name
                   in customers.values_list("pk", "tenant_id", "reseller_id", "currency",
                                            "company_name")},
        subscriptions={pc.lower(): usage_csv.KnownSubscription(pk, c) for pk, pc, c
                       in subscriptions.values_list("pk", "partner_center_id", "customer_id")},
        scope_label=label, today=timezone.now().date())


def _read(usage_import: UsageImport) -> bytes:
    with usage_import.file.open("rb") as f:
        data = f.read()
    message = _too_large(len(data))
    if message:
        raise usage_csv.FileProblem([usage_csv.problem(None, "file", message)])
    return data


def _rows(usage_import: UsageImport, data: bytes | None):
    if usage_import.source == UsageImport.Source.GATEWAY:
        lines = iter_usage(get_gateway(), start=usage_import.period_start,
                           end=usage_import.period_end)
        return ((n, line.as_csv_row()) for n, line in enumerate(lines, start=1))
    return usage_csv.csv_rows(usage_csv.decode(data))


def _set(usage_import: UsageImport, **fields) -> None:
    for name, value in fields.items():
        setattr(usage_import, name, value)
    UsageImport.objects.filter(pk=usage_import.pk).update(**fields)


class _CopySink:
    """Valid rows as CSV for PostgreSQL's COPY, spooled to a temporary file (bounded memory).
    Every value is quoted, so an empty text is an empty string, not NULL."""

    def __init__(self, import_id: int):
        self.file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by close()
            max_size=32 * 1024 * 1024, mode="w+", encoding="utf-8", newline="")
        self.import_id = import_id
        self.rows: list[tuple] = []
        self.staging = f"usage_staging_{import_id}"

    def __call__(self, row: tuple) -> None:
        self.rows.append((*row, self.import_id))
        if len(self.rows) == 10_000:
            self._flush()

    def _flush(self) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(self.rows)
        self.file.write(buffer.getvalue())
        self.rows = []

    def load(self) -> int:
        # Identifiers only (our own constants and an integer id); no user data in the SQL.
        self._flush()
        columns = ", ".join(usage_csv.COLUMNS + ("usage_import_id",))
        table = UsageLine._meta.db_table
        self.file.seek(0)
        staging = self.staging
        create = f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: E501, S608
        insert = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} ON CONFLICT (natural_key) DO NOTHING"  # noqa: E501, S608
        with connection.cursor() as cursor:
            cursor.execute(create)
            cursor.cursor.copy_expert(f"COPY {staging} ({columns}) FROM STDIN WITH (FORMAT csv)",
                                      self.file)
            cursor.execute(insert)
            inserted = cursor.rowcount
            cursor.execute(f"DROP TABLE {staging}")
            return inserted

    def close(self):
        self.file.close()


class _ListSink:
    def __init__(self, import_id: int):
        self.import_id = import_id
        self.rows: list[tuple] = []

    def __call__(self, row: tuple) -> None:
        self.rows.append(row)

    def load(self) -> int:
        before = UsageLine.objects.count()
        UsageLine.objects.bulk_create(
            (UsageLine(usage_import_id=self.import_id, **dict(zip(usage_csv.COLUMNS, row,
                                                                  strict=True)))
             for row in self.rows), batch_size=2000, ignore_conflicts=True)
        return UsageLine.objects.count() - before

    def close(self):
        self.rows = []


def usage_import_run(*, usage_import_id: int) -> UsageImport:
    """Validate, then load one import (called by the Celery task). Runs unscoped: an operations
    import spans resellers, and a reseller's import only accepts that reseller's customers."""
    with scopes_disabled():
        usage_import = UsageImport.objects.get(pk=usage_import_id)
        if usage_import.is_finished:
            return usage_import  # a retried task does nothing twice
        _set(usage_import, status=UsageImport.Status.VALIDATING, errors=[], total_lines=0)
        known = _known(usage_import)
        data = None
        if usage_import.source == UsageImport.Source.CSV:
            try:
                data = _read(usage_import)
                if SET_BASED and connection.vendor == "postgresql":
                    usage_csv.decode(data)  # the encoding check, with the line of a bad byte
                    outcome = usage_pg.run(usage_import.pk, data, known)
                    if outcome is not None:
                        return _finish_outcome(usage_import, outcome)
            except usage_csv.FileProblem as e:
                return _finish(usage_import, status=UsageImport.Status.REJECTED, errors=e.errors)
        sink = (_CopySink if connection.vendor == "postgresql" else _ListSink)(usage_import.pk)
        try:
            validator = usage_csv.Validator(known=known, sink=sink)
            try:
                validator.check_all(_rows(usage_import, data),
                                    progress=lambda n: _set(usage_import, total_lines=n))
            except usage_csv.FileProblem as e:
                return _finish(usage_import, status=UsageImport.Status.REJECTED, errors=e.errors)
            except GatewayError as e:
                return _finish(usage_import, status=UsageImport.Status.FAILED,
                               errors=[usage_csv.problem(None, "Partner Center", e.message)])
            if validator.errors:
                return _finish(usage_import, status=UsageImport.Status.REJECTED,
                               errors=validator.errors, total_lines=validator.lines)
            _set(usage_import, status=UsageImport.Status.IMPORTING, total_lines=validator.lines)
            with transaction.atomic():
                inserted = sink.load()
            return _finish(usage_import, status=UsageImport.Status.DONE,
                           total_lines=validator.lines, imported_lines=inserted,
                           skipped_duplicates=validator.valid - inserted,
                           marketplace_lines=validator.marketplace)
        finally:
            sink.close()


def _finish_outcome(usage_import: UsageImport, outcome: usage_pg.Outcome) -> UsageImport:
    if outcome.errors:
        return _finish(usage_import, status=UsageImport.Status.REJECTED, errors=outcome.errors,
                       total_lines=outcome.lines)
    return _finish(usage_import, status=UsageImport.Status.DONE, total_lines=outcome.lines,
                   imported_lines=outcome.inserted,
                   skipped_duplicates=outcome.valid - outcome.inserted,
                   marketplace_lines=outcome.marketplace)


def _finish(usage_import: UsageImport, *, status, **fields) -> UsageImport:
    _set(usage_import, status=status, finished_at=timezone.now(), **fields)
    if usage_import.file:
        usage_import.file.delete(save=False)
        _set(usage_import, file="")
    audit(actor=usage_import.uploaded_by, reseller=usage_import.reseller, obj=usage_import,
          action=f"billing.usage_import.{status}",
          data={"total": usage_import.total_lines, "imported": usage_import.imported_lines,
                "duplicates": usage_import.skipped_duplicates,
                "errors": len(usage_import.errors)})
    return usage_import


def usage_import_fail(*, usage_import_id: int, message: str) -> None:
    """Mark an import failed after an unexpected error (nothing was written: the load is
    one transaction)."""
    with scopes_disabled():
        usage_import = UsageImport.objects.get(pk=usage_import_id)
        if not usage_import.is_finished:
            _finish(usage_import, status=UsageImport.Status.FAILED,
                    errors=[usage_csv.problem(None, "import", message)])
