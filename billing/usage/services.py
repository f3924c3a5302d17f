import dataclasses
import hashlib
import uuid
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.usage import columnar, graph, pg, summary, validation
from billing.usage.models import (
    KEY_COLUMNS,
    KEY_SEPARATOR,
    UsageImport,
    UsageLine,
    key_hash,
)
from customers.models import Customer
from partner_center import graph_billing
from partner_center.errors import GatewayError
from partner_center.gateway import get_gateway, iter_usage
from portal.audit import audit
from portal.permissions import require, require_staff
from portal.tasking import ResellerTask
from portal.tenancy import member_service
from subscriptions.catalog.models import ProductType
from subscriptions.models import Subscription
from webhooks.events import emit

MAX_FETCH_DAYS = 92


# CSV files are checked column by column (billing/columnar.py); False forces the
# line-by-line path (tests compare the two).
COLUMNAR = True


def _size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _too_large(size: int) -> str | None:
    limit = settings.USAGE_IMPORT_MAX_BYTES
    if size > limit:
        return (
            f"The file is {_size_text(size)}; usage files may be at most "
            f"{_size_text(limit)}. Split it by date range and upload the parts."
        )
    return None


def _start_import(usage_import: UsageImport) -> None:
    """Queue the run once the row is committed (the worker must see it)."""
    usage_import.task_id = str(uuid.uuid4())
    usage_import.save(update_fields=["task_id"])
    transaction.on_commit(
        lambda: usage_import_task.apply_async(
            kwargs={"usage_import_id": usage_import.pk, "reseller_id": usage_import.reseller_id},
            task_id=usage_import.task_id,
        )
    )


def _create_upload(*, reseller, user, file) -> UsageImport:
    name = (getattr(file, "name", "") or "usage.csv").rsplit("/", 1)[-1][:255]
    message = _too_large(file.size)
    if message:
        # Recorded as rejected; the file itself is not kept.
        return UsageImport.objects.create(
            reseller=reseller,
            uploaded_by=user,
            file_name=name,
            status=UsageImport.Status.REJECTED,
            errors=[validation.problem(None, "file", message)],
            finished_at=timezone.now(),
        )
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    usage_import = UsageImport(
        reseller=reseller, uploaded_by=user, file_name=name, sha256=digest.hexdigest()
    )
    usage_import.file.save(f"{uuid.uuid4().hex}.csv", file, save=False)
    usage_import.save()
    _start_import(usage_import)
    return usage_import


@member_service
def usage_import_upload(*, member, file) -> UsageImport:
    """A reseller uploads a usage CSV of its own customers; the import runs in a task."""
    require(member, "usage.import")
    usage_import = _create_upload(reseller=member.reseller, user=member.user, file=file)
    audit(
        actor=member.user,
        reseller=member.reseller,
        obj=usage_import,
        action="billing.usage_import.upload",
        data={"file": usage_import.file_name, "sha256": usage_import.sha256},
    )
    return usage_import


@transaction.atomic
def usage_import_upload_ops(*, user, file) -> UsageImport:
    """Operations upload a usage CSV for any reseller's customers."""
    require_staff(user)
    with scopes_disabled():
        usage_import = _create_upload(reseller=None, user=user, file=file)
    audit(
        actor=user,
        reseller=None,
        obj=usage_import,
        action="billing.usage_import.upload",
        data={"file": usage_import.file_name, "sha256": usage_import.sha256},
    )
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
        raise ValidationError(
            f"The period may not end in the future (after {timezone.now().date()})."
        )
    with scopes_disabled():
        usage_import = UsageImport.objects.create(
            source=UsageImport.Source.GATEWAY,
            uploaded_by=user,
            period_start=start,
            period_end=end,
            file_name=f"Partner Center usage {start} – {end}",
        )
        _start_import(usage_import)
    audit(
        actor=user,
        reseller=None,
        obj=usage_import,
        action="billing.usage_import.fetch",
        data={"start": str(start), "end": str(end)},
    )
    return usage_import


def usage_graph_pull(*, today: date | None = None) -> list[UsageImport]:
    """Beat, daily: pull Microsoft's unbilled usage of the current period through Microsoft
    Graph, one import per currency the portal's customers are billed in (and, the first week
    of a month, the last period's too, which Microsoft keeps rating until its invoice is out).
    Each pull replaces the lines of the earlier pulls of the same export (currency and billing
    month): a line Microsoft revised is updated, one it withdrew is removed, and a re-pull of
    the same data adds nothing (`_earlier_pulls`)."""
    today = today or timezone.now().date()
    periods = ["current", "last"] if today.day <= 7 else ["current"]
    this_month = today.replace(day=1)
    months = {
        "current": this_month,
        "last": (this_month - date.resolution).replace(day=1),
    }
    with scopes_disabled(), transaction.atomic():
        currencies = sorted(
            set(Customer.objects.exclude(tenant_id=None).values_list("currency", flat=True))
        )
        imports = []
        for currency in currencies:
            for period in periods:
                month = months[period]
                usage_import = UsageImport.objects.create(
                    source=UsageImport.Source.GRAPH,
                    period_start=month,
                    period_end=(month + timedelta(days=31)).replace(day=1) - date.resolution,
                    export={
                        "path": graph_billing.UNBILLED_USAGE,
                        "body": graph_billing.unbilled_usage_body(currency, period),
                    },
                    file_name=f"Microsoft Graph unbilled usage {currency} ({period} period, "
                    f"{today})",
                )
                _start_import(usage_import)
                imports.append(usage_import)
    return imports


def last_graph_pull() -> UsageImport | None:
    with scopes_disabled():
        return UsageImport.objects.filter(source=UsageImport.Source.GRAPH).first()


def _known(usage_import: UsageImport) -> validation.Known:
    """Every customer with a tenant ID and every subscription the import may name: two queries.
    An order Partner Center has not created (pending) or refused (failed) has no Partner Center
    id and cannot be named; a licence-based subscription is known in order to be refused."""
    customers = Customer.objects.exclude(tenant_id=None)
    subscriptions = Subscription.objects.exclude(partner_center_id=None).exclude(
        partner_center_id=""
    )
    label = "the portal"
    if usage_import.reseller_id:
        customers = customers.filter(reseller_id=usage_import.reseller_id)
        subscriptions = subscriptions.filter(reseller_id=usage_import.reseller_id)
        label = "yours"
    return validation.Known(
        customers={
            str(t): validation.KnownCustomer(pk, r, cur, name)
            for pk, t, r, cur, name in customers.values_list(
                "pk", "tenant_id", "reseller_id", "currency", "company_name"
            )
        },
        subscriptions={
            (pc or "").lower(): validation.KnownSubscription(
                pk, c, usage=billing == ProductType.Billing.USAGE, offer_name=offer, currency=cur
            )
            for pk, pc, c, billing, offer, cur in subscriptions.values_list(
                "pk",
                "partner_center_id",
                "customer_id",
                "offer__product_type__billing",
                "offer__name",
                "currency",
            )
        },
        scope_label=label,
        today=timezone.now().date(),
    )


def _read(usage_import: UsageImport) -> bytes:
    with usage_import.file.open("rb") as f:
        data = f.read()
    message = _too_large(len(data))
    if message:
        raise validation.FileProblem([validation.problem(None, "file", message)])
    return data


def _graph_rows(usage_import: UsageImport):
    """The lines of a Microsoft Graph usage export as CSV rows; the export's progress (polls,
    blobs read) is saved on the import as each blob starts."""
    progress = graph_billing.Progress()
    export = usage_import.export
    lines = graph_billing.get_graph_billing().lines(export["path"], export["body"], progress)
    saved = None
    for n, line in enumerate(lines, start=1):
        if saved != progress.blobs_done:
            saved = progress.blobs_done
            _set(usage_import, export=export | {"progress": dataclasses.asdict(progress)})
        yield n, graph.csv_row(line)
    _set(usage_import, export=export | {"progress": dataclasses.asdict(progress)})


def _rows(usage_import: UsageImport, data: bytes | None):
    if usage_import.source == UsageImport.Source.GRAPH:
        return _graph_rows(usage_import)
    if usage_import.source == UsageImport.Source.GATEWAY:
        assert usage_import.period_start and usage_import.period_end  # a fetch has its days
        lines = iter_usage(
            get_gateway(), start=usage_import.period_start, end=usage_import.period_end
        )
        return ((n, line.as_csv_row()) for n, line in enumerate(lines, start=1))
    assert data is not None  # an upload has its file
    return validation.csv_rows(validation.decode(data))


def _set(usage_import: UsageImport, **fields) -> None:
    for name, value in fields.items():
        setattr(usage_import, name, value)
    UsageImport.objects.filter(pk=usage_import.pk).update(**fields)


class _Sink:
    """Valid rows of the line-by-line path, kept as Arrow tables of 10,000 rows (compact), then
    loaded like a file checked column by column (`_load_columns`)."""

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.rows: list[tuple] = []
        self.tables: list = []

    def __call__(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) == 10_000:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.tables.append(columnar.from_python(self.rows))
            self.rows = []

    def load(self, replacing: "_Replacing | None" = None) -> int:
        self._flush()
        if replacing is not None:
            rows = pa.concat_tables(self.tables) if self.tables else columnar.from_python([])
            return _replace_columns(self.import_id, rows, replacing)
        if not self.tables:
            return 0
        return _load_columns(self.import_id, pa.concat_tables(self.tables))


@dataclasses.dataclass
class _Replacing:
    """The lines an unbilled export replaces: those of the earlier imports `previous`, dated
    `start`–`end`; `removed` is set by the load."""

    previous: list[int]
    start: date
    end: date
    removed: int = 0


def _earlier_pulls(usage_import: UsageImport) -> "_Replacing | None":
    """For a Microsoft Graph unbilled usage import: the earlier imports of the same export
    (the same currency and billing month), whose lines this one replaces. Microsoft rates
    unbilled usage again until the invoice is out, so the latest export of a period is the
    truth of that period; lines imported otherwise (a CSV, a billed export) are never
    replaced, and a line of the export that is there already from them is skipped."""
    export = usage_import.export or {}
    if (
        usage_import.source != UsageImport.Source.GRAPH
        or export.get("path") != graph_billing.UNBILLED_USAGE
        or usage_import.period_start is None
        or usage_import.period_end is None
    ):
        return None
    currency = (export.get("body") or {}).get("currencyCode")
    same = UsageImport.objects.filter(
        source=UsageImport.Source.GRAPH,
        status=UsageImport.Status.DONE,
        period_start=usage_import.period_start,
    ).exclude(pk=usage_import.pk)
    if usage_import.reseller_id:
        same = same.filter(reseller_id=usage_import.reseller_id)
    else:
        same = same.filter(reseller__isnull=True)
    previous = [
        pk
        for pk, other in same.values_list("pk", "export")
        if (other or {}).get("path") == graph_billing.UNBILLED_USAGE
        and ((other or {}).get("body") or {}).get("currencyCode") == currency
    ]
    return _Replacing(previous, usage_import.period_start, usage_import.period_end)


def _replace_columns(import_id: int, rows, replacing: _Replacing) -> int:
    """Replace the lines of the earlier pulls by `rows` (one transaction): lines alike in key
    and values stay, the others are removed; the rows not there then are added. Returns the
    lines added; `replacing.removed` counts those removed."""
    if rows.num_rows:  # the lines of this export's days are in scope even beyond the month
        days = pc.min_max(rows.column("usage_date")).as_py()
        replacing.start = min(replacing.start, days["min"])
        replacing.end = max(replacing.end, days["max"])
    if connection.vendor == "postgresql":
        inserted, removed_months = pg.replace(import_id, rows, replacing)
    else:
        inserted, removed_months = _replace_orm(import_id, rows, replacing)
    replacing.removed = len(removed_months)
    if inserted or removed_months:
        summary.refresh(columnar.months(rows) | {(r, d.replace(day=1)) for r, d in removed_months})
    return inserted


def _replace_orm(import_id: int, rows, replacing: _Replacing):
    """`_replace_columns` through the ORM (SQLite); returns (added, [(reseller, day)] of
    each line removed)."""
    values = [n for n in columnar.SCHEMA.names if n not in ("reseller_id", "subscription_id")]
    new = {}
    for row in rows.to_pylist():
        key = (row["reseller_id"], row["subscription_id"], row["usage_date"], _key_of(row))
        new[key] = tuple(row[n] for n in values)
    removed, removed_ids = [], []
    for line in UsageLine.objects.filter(
        usage_import_id__in=replacing.previous,
        usage_date__range=(replacing.start, replacing.end),
    ).values("pk", "reseller_id", "subscription_id", "natural_key", *values):
        key = (
            line["reseller_id"],
            line["subscription_id"],
            line["usage_date"],
            line["natural_key"],
        )
        if new.get(key) != tuple(line[n] for n in values):
            removed_ids.append(line["pk"])
            removed.append((line["reseller_id"], line["usage_date"]))
    UsageLine.objects.filter(pk__in=removed_ids).delete()
    before = UsageLine.objects.count()
    UsageLine.objects.bulk_create(
        (UsageLine(usage_import_id=import_id, **row) for row in rows.to_pylist()),
        batch_size=2000,
        ignore_conflicts=True,
    )
    return UsageLine.objects.count() - before, removed


def _key_of(row: dict) -> int:
    """UsageLine.natural_key of a row of stored values, as SQLite computes it (`key_hash`)."""
    return key_hash(KEY_SEPARATOR.join(row[name] for name in KEY_COLUMNS))


def _load_columns(import_id: int, rows) -> int:
    """Load checked rows (columnar.SCHEMA); returns the lines added.
    PostgreSQL: staging and INSERT … ON CONFLICT DO NOTHING (pg.load); elsewhere
    bulk_create(ignore_conflicts=True)."""
    if connection.vendor == "postgresql":
        return pg.load(import_id, rows)
    before = UsageLine.objects.count()
    UsageLine.objects.bulk_create(
        (
            UsageLine(usage_import_id=import_id, **row)
            for batch in rows.to_batches(max_chunksize=10_000)
            for row in batch.to_pylist()
        ),
        batch_size=2000,
        ignore_conflicts=True,
    )
    inserted = UsageLine.objects.count() - before
    if inserted:
        summary.refresh(columnar.months(rows))
    return inserted


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
                note = validation.ignored_note(data)
                if note:
                    _set(usage_import, notes=[note])
                if COLUMNAR:
                    imported = _import_columns(usage_import, data, known)
                    if imported is not None:
                        return imported
            except validation.FileProblem as e:
                return _finish(usage_import, status=UsageImport.Status.REJECTED, errors=e.errors)
            except columnar.Fallback:
                pass
        sink = _Sink(usage_import.pk)
        validator = validation.Validator(known=known, sink=sink)
        try:
            validator.check_all(
                _rows(usage_import, data), progress=lambda n: _set(usage_import, total_lines=n)
            )
        except validation.FileProblem as e:
            return _finish(usage_import, status=UsageImport.Status.REJECTED, errors=e.errors)
        except GatewayError as e:
            return _finish(
                usage_import,
                status=UsageImport.Status.FAILED,
                errors=[validation.problem(None, "Partner Center", e.message)],
            )
        if validator.errors:
            return _finish(
                usage_import,
                status=UsageImport.Status.REJECTED,
                errors=validator.errors,
                total_lines=validator.lines,
            )
        _set(usage_import, status=UsageImport.Status.IMPORTING, total_lines=validator.lines)
        replacing = _earlier_pulls(usage_import)
        with transaction.atomic():
            inserted = sink.load(replacing)
        if replacing is not None and replacing.removed:
            _set(
                usage_import,
                notes=[
                    *usage_import.notes,
                    f"{replacing.removed} line(s) of the earlier exports of this period, which "
                    "Microsoft has revised or withdrawn since, were replaced.",
                ],
            )
        return _finish(
            usage_import,
            status=UsageImport.Status.DONE,
            total_lines=validator.lines,
            imported_lines=inserted,
            skipped_duplicates=validator.valid - inserted,
            marketplace_lines=validator.marketplace,
        )


def _import_columns(usage_import: UsageImport, data: bytes, known) -> UsageImport | None:
    """A file Arrow reads as Python does: on PostgreSQL streamed into the table (or into
    staging, for a re-import) while it is checked (pg.stream); if that does not go through,
    checked whole, then loaded.
    None: read it line by line."""
    if connection.vendor == "postgresql":
        loaded = pg.stream(usage_import.pk, columnar.stream(data, known, pg.BATCH_ROWS))
        if loaded is not None:
            return _finish(
                usage_import,
                status=UsageImport.Status.DONE,
                total_lines=loaded.lines,
                imported_lines=loaded.inserted,
                skipped_duplicates=loaded.lines - loaded.inserted,
                marketplace_lines=loaded.marketplace,
            )
    usage = columnar.read(data, known)
    if usage is None:
        return None
    checked = usage.check()
    if checked.errors:
        return _finish(
            usage_import,
            status=UsageImport.Status.REJECTED,
            errors=checked.errors,
            total_lines=checked.lines,
        )
    _set(usage_import, status=UsageImport.Status.IMPORTING, total_lines=checked.lines)
    inserted = 0
    if checked.lines:
        with transaction.atomic():
            inserted = _load_columns(usage_import.pk, checked.rows)
    return _finish(
        usage_import,
        status=UsageImport.Status.DONE,
        total_lines=checked.lines,
        imported_lines=inserted,
        skipped_duplicates=checked.lines - inserted,
        marketplace_lines=checked.marketplace,
    )


def _finish(usage_import: UsageImport, *, status, **fields) -> UsageImport:
    _set(usage_import, status=status, finished_at=timezone.now(), **fields)
    if usage_import.file:
        usage_import.file.delete(save=False)
        _set(usage_import, file="")
    audit(
        actor=usage_import.uploaded_by,
        reseller=usage_import.reseller,
        obj=usage_import,
        action=f"billing.usage_import.{status}",
        data={
            "total": usage_import.total_lines,
            "imported": usage_import.imported_lines,
            "duplicates": usage_import.skipped_duplicates,
            "errors": len(usage_import.errors),
        },
    )
    if status == UsageImport.Status.DONE and usage_import.reseller_id:
        emit("usage.imported", usage_import)
    return usage_import


def usage_import_fail(*, usage_import_id: int, message: str) -> None:
    """Mark an import failed after an unexpected error (nothing was written: the load is
    one transaction)."""
    with scopes_disabled():
        usage_import = UsageImport.objects.get(pk=usage_import_id)
        if not usage_import.is_finished:
            _finish(
                usage_import,
                status=UsageImport.Status.FAILED,
                errors=[validation.problem(None, "import", message)],
            )


@shared_task(bind=True, max_retries=0, base=ResellerTask)
def usage_import_task(self, *, usage_import_id: int) -> str:
    """Validate and load one usage import (CSV upload or Partner Center fetch)."""
    try:
        return usage_import_run(usage_import_id=usage_import_id).status
    except Exception as e:
        usage_import_fail(
            usage_import_id=usage_import_id,
            message=f"The import stopped unexpectedly ({type(e).__name__}); nothing was written.",
        )
        raise
