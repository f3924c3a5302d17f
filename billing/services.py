"""Usage import: upload (reseller or operations), Partner Center fetch, and the import run.

A run validates the whole input first; any problem rejects it whole and writes no usage line.
A CSV file is checked column by column (billing/columnar.py, Apache Arrow) and loaded in
one transaction: on PostgreSQL by COPY (billing/pg.py), elsewhere with
bulk_create(ignore_conflicts=True). Partner Center fetches and files the two CSV readers could
split differently go line by line (billing/validation.py), then load in one transaction: on
PostgreSQL through COPY into a temporary staging table and INSERT … ON CONFLICT DO NOTHING.
Lines already imported count as duplicates; the monthly usage sums are updated in the same
transaction.

Billing runs, invoices and credit notes. Operations services take `user` (staff).

A run recomputes its period's ledger from the charge events and Azure plan usage and persists
it by diff while it is a draft (only changes written), then keeps one draft invoice per
currency with the ledger's totals. On PostgreSQL the charge and usage lines are summed,
priced (the usage by the rule the pure price-book resolver would choose), rounded, described
and diffed set-based in one statement (`_recompute_in_sql`); elsewhere the pure
`billing.ledger.compute_lines` and `ledger.diff` do it all (`_recompute_in_python`); both
write the same rows. Runs are computed in batches of resellers (one task, one transaction,
the same few queries however many runs). Finalizing stores the invoice lines the draft
showed, numbers the invoices (gapless per issuer, series and year, from a locked counter
row), copies issuer and recipient onto them and makes them immutable; corrections are
credit notes.
"""

import csv
import gc
import io
import json
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from operator import attrgetter

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from billing import ledger, selectors, tax
from billing.models import (
    BillingLine,
    BillingRun,
    CreditNote,
    CreditNoteLine,
    DocumentCounter,
    Invoice,
    InvoiceLine,
    TaxExemption,
    TaxRate,
)
from billing.periods import usage_label, usage_period
from portal.audit import audit, audit_events
from portal.models import AuditEvent, Reseller
from portal.permissions import require, require_staff
from portal.tasking import ResellerTask
from portal.upkeep import each_row, reason_of, record_failure
from subscriptions.models import Subscription
from subscriptions.proration import MINOR_UNITS, round_money
from webhooks.events import emit

# --- the run ----------------------------------------------------------------------------


INVOICE_PREFIX = "INV"
CREDIT_NOTE_PREFIX = "CN"


# Runs


def billing_run_start(*, user, on_date: date, reseller: Reseller | None = None) -> list[BillingRun]:
    """Start (or recompute) the billing run of the period containing `on_date` for one reseller
    or all of them; each reseller's period follows its country. Finalized runs are left alone.
    Returns the runs queued; the computing happens in Celery (one task per reseller)."""
    require_staff(user)
    return _start_runs(
        user=user,
        on_date=on_date,
        resellers=[reseller] if reseller else list(Reseller.objects.order_by("pk")),
    )


def billing_runs_start_due(*, today: date) -> list[BillingRun]:
    """Beat, daily: start the run of every reseller whose period ended yesterday (US on the
    1st, Canada on the 20th, …). Idempotent: a run already there is recomputed, a finalized
    one left alone."""
    yesterday = today - timedelta(days=1)
    overrides = selectors.calendar_overrides()
    with scopes_disabled():
        due = [
            r
            for r in Reseller.objects.order_by("pk")
            if selectors.reseller_period(r, today, overrides=overrides).start == today
        ]
    if not due:
        return []
    try:
        return _start_runs(user=None, on_date=yesterday, resellers=due)
    except Exception:
        # one reseller's run could not be opened: open them one by one, record that one
        by_pk = {r.pk: r for r in due}
        started, _ = each_row(
            "billing.run_start",
            Reseller,
            by_pk,
            lambda pk: _start_runs(user=None, on_date=yesterday, resellers=[by_pk[pk]]),
        )
        return [run for runs in started for run in runs]


def _start_runs(*, user, on_date: date, resellers: list[Reseller]) -> list[BillingRun]:
    with transaction.atomic():
        queued = billing_runs_open(user=user, on_date=on_date, resellers=resellers)
        if queued:
            result_id = _new_task_id()
            with scopes_disabled():
                BillingRun.objects.filter(pk__in=[r.pk for r in queued]).update(task_id=result_id)
            billing_runs_fan_out_task.apply_async_on_commit(
                args=[[r.pk for r in queued]], task_id=result_id
            )
    return queued


def billing_runs_open(*, user, on_date: date, resellers: list[Reseller]) -> list[BillingRun]:
    """The draft runs of the resellers' periods containing `on_date`, created or reset to be
    computed again (finalized runs are left out), locked and audited: a constant number of
    queries however many resellers."""
    overrides = selectors.calendar_overrides()
    periods = {r.pk: selectors.reseller_period(r, on_date, overrides=overrides) for r in resellers}
    with scopes_disabled(), transaction.atomic():
        BillingRun.objects.bulk_create(
            [
                BillingRun(
                    reseller=r,
                    period_start=periods[r.pk].start,
                    period_end=periods[r.pk].end,
                    started_by=user,
                )
                for r in resellers
            ],
            ignore_conflicts=True,
        )
        by_start: dict[date, list[int]] = defaultdict(list)
        for reseller_id, period in periods.items():
            by_start[period.start].append(reseller_id)
        wanted = Q(pk__in=[])
        for start, reseller_ids in by_start.items():
            wanted |= Q(period_start=start, reseller_id__in=reseller_ids)
        queued = list(
            BillingRun.objects.select_for_update(of=("self",))
            .select_related("reseller")
            .filter(wanted, status=BillingRun.Status.DRAFT)
            .order_by("pk")
        )
        now = timezone.now()
        BillingRun.objects.filter(pk__in=[run.pk for run in queued]).update(
            started_by=user, started_at=now, finished_at=None, error=""
        )
        for run in queued:
            run.started_by, run.started_at, run.finished_at, run.error = user, now, None, ""
        _insert_instances(
            AuditEvent,
            audit_events(
                actor=user,
                action="billing.run.started",
                objects=queued,
                data=lambda run: {"period": run.period.label},
            ),
        )
    return queued


def _new_task_id() -> str:
    from celery.utils import uuid

    return uuid()


def billing_run_batches(run_ids: list[int]) -> list[list[int]]:
    """The runs in order, in batches of about BILLING_SUBSCRIPTIONS_PER_TASK subscriptions of
    their resellers (one query): a batch is billed with the queries of one run, and its size
    bounds one worker's memory and transaction; a larger reseller is a batch of its own."""

    limit = settings.BILLING_SUBSCRIPTIONS_PER_TASK
    with scopes_disabled():
        resellers = dict(BillingRun.objects.filter(pk__in=run_ids).values_list("pk", "reseller_id"))
        sizes = dict(
            Subscription.objects.filter(reseller_id__in=set(resellers.values()))
            .order_by()
            .values_list("reseller_id")
            .annotate(n=Count("pk"))
        )
    batches: list[list[int]] = []
    batch: list[int] = []
    size = 0
    for run_id in run_ids:
        n = max(1, sizes.get(resellers.get(run_id), 0))
        if batch and size + n > limit:
            batches.append(batch)
            batch, size = [], 0
        batch.append(run_id)
        size += n
    return [*batches, batch] if batch else batches


def billing_run_compute(*, run_id: int) -> BillingRun:
    """Recompute one draft run (see `billing_runs_compute`)."""
    return billing_runs_compute(run_ids=[run_id])[0]


def billing_runs_compute(*, run_ids: list[int]) -> list[BillingRun]:
    """Recompute the draft runs among `run_ids` together, in one transaction: their ledgers by
    diff, then their draft invoices, with the same few set-based queries however many runs
    (one batch of the fan-out; a query or a transaction per reseller would cost more than the
    reseller's billing itself). Idempotent: a second call with the same inputs writes nothing;
    a worker killed half-way rolls the batch back. When one run cannot be computed (its data
    cannot be billed, or anything else goes wrong), the batch is computed run by run: the
    others finish, that one shows why and is recorded as an upkeep failure."""
    try:
        with _without_cycle_collector(), scopes_disabled(), transaction.atomic():
            runs = list(
                BillingRun.objects.select_for_update(of=("self",))
                .select_related("reseller")
                .filter(pk__in=run_ids)
                .order_by("pk")
            )
            drafts = [run for run in runs if run.is_draft]
            _recompute(drafts)
            now = timezone.now()
            BillingRun.objects.filter(pk__in=[run.pk for run in drafts]).update(
                finished_at=now, error=""
            )
            for run in drafts:
                run.finished_at, run.error = now, ""
        return runs
    except Exception:
        if len(run_ids) == 1:
            raise
    for run_id in run_ids:
        try:
            billing_runs_compute(run_ids=[run_id])
        except Exception as exc:
            billing_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
            record_failure("billing.run", BillingRun, run_id, reason_of(exc))
    with scopes_disabled():
        return list(BillingRun.objects.filter(pk__in=run_ids).order_by("pk"))


@contextmanager
def _without_cycle_collector():
    """Python's cycle collector paused while a batch builds some 100,000 short-lived tuples
    and Decimals: each of its full passes walks every live object again (≈40 % of a batch's
    CPU time). Reference counting frees the values all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def billing_run_fail(*, run_id: int, error: str) -> None:
    with scopes_disabled():
        BillingRun.objects.filter(pk=run_id, status=BillingRun.Status.DRAFT).update(
            error=error[:2000], finished_at=None
        )


# PostgreSQL: new ledger lines are written as plain tuples by COPY; False forces bulk_create,
# what other databases use (tests compare the two).
FAST_INSERT = True


def _insert(model, fields: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows`, tuples of the values of `fields`. bulk_create spends more time building
    and preparing one model instance a row (≈0.15 ms) than PostgreSQL takes to write it; COPY
    takes the rows as CSV text. Values are Decimal, int, str (ISO text for dates and times),
    date or aware datetime; None is written unquoted (NULL), every other value quoted (so an
    empty text stays a text)."""
    if not rows:
        return
    if FAST_INSERT and connection.vendor == "postgresql":
        buffer = io.StringIO()
        csv.writer(buffer, quoting=csv.QUOTE_NOTNULL, lineterminator="\n").writerows(rows)
        buffer.seek(0)
        columns = ", ".join(model._meta.get_field(f).column for f in fields)
        with connection.cursor() as cursor:
            # identifiers only (model metadata); the values travel as COPY data
            cursor.cursor.copy_expert(
                f"COPY {model._meta.db_table} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer
            )
    else:
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=1000
        )


def _insert_instances(model, objs: list) -> None:
    """`model.objects.bulk_create(objs)`, without setting their ids: on PostgreSQL (and
    FAST_INSERT) the instances' own values written by COPY (`_insert`), JSON as JSON text and
    files by name, some 4× faster than bulk_create preparing every value of every row for
    an INSERT."""
    if not (FAST_INSERT and connection.vendor == "postgresql"):
        model.objects.bulk_create(objs)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # pre_save() would set these; the instances' values are written as they are
    assert not any(
        getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields
    )
    as_json = [(i, f.encoder) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    files = [i for i, f in enumerate(fields) if isinstance(f, models.FileField)]
    values = attrgetter(*(f.attname for f in fields))
    rows = []
    for obj in objs:
        row = list(values(obj))
        for i, encoder in as_json:
            row[i] = json.dumps(row[i], cls=encoder)
        for i in files:
            row[i] = row[i].name or ""
        rows.append(tuple(row))
    _insert(model, tuple(f.attname for f in fields), rows)


# a new ledger row: its run's head, the ledger.Line as it is, the time
LEDGER_FIELDS = (
    "reseller_id",
    "run_id",
    "period_start",
    "period_end",
    *ledger.Line._fields,
    "updated_at",
)


def _recompute(runs: list[BillingRun]) -> None:
    """The runs' ledgers, persisted by diff (only the inserted, changed and vanished lines
    written, for all runs at once), then their draft invoices from the ledgers' totals. On
    PostgreSQL the lines are summed, priced, rounded, described and diffed in one SQL
    statement (`_recompute_in_sql`); elsewhere (or with FAST_INSERT off) in Python by the
    pure ledger. Both write the same rows (tests compare them)."""
    if not runs:
        return
    if FAST_INSERT and connection.vendor == "postgresql":
        totals = _recompute_in_sql(runs)
    else:
        totals = _recompute_in_python(runs)
    _sync_draft_invoices(runs, totals)


def _recompute_in_python(runs: list[BillingRun]) -> dict[int, dict[str, ledger.Totals]]:
    """The runs' inputs read together, priced and rounded by `ledger.compute_lines`, their
    stored lines read as tuples in one query and diffed in Python, the changes written in
    bulk. Returns each run's totals per currency."""
    inputs = selectors.ledger_inputs_many([(run.reseller_id, run.period) for run in runs])
    computed = {
        run.pk: ledger.compute_lines(*inputs[(run.reseller_id, run.period_start)]) for run in runs
    }
    stored = defaultdict(list)
    for row in BillingLine.objects.filter(run__in=runs).values_list(
        "run_id", "pk", "subscription_id", "customer_id", "kind", *ledger.LINE_FIELDS, named=True
    ):
        stored[row.run_id].append(row)
    now = timezone.now()
    # dates and time as text once: formatting them again for every new line cost a third of
    # writing it (both COPY and bulk_create take ISO text)
    stamp = now.isoformat()
    gone, changed, new = [], [], []
    for run in runs:
        change = ledger.diff(stored[run.pk], computed[run.pk])
        gone += [row.pk for row in change.delete]
        changed += [
            BillingLine(
                pk=row.pk, updated_at=now, **{f: getattr(line, f) for f in ledger.LINE_FIELDS}
            )
            for row, line in change.update
        ]
        head = (run.reseller_id, run.pk, run.period_start.isoformat(), run.period_end.isoformat())
        new += [(*head, *line, stamp) for line in change.insert]
    if gone:
        BillingLine.objects.filter(pk__in=gone).delete()
    BillingLine.objects.bulk_update(changed, [*ledger.LINE_FIELDS, "updated_at"], batch_size=500)
    _insert(BillingLine, LEDGER_FIELDS, new)
    return {run.pk: ledger.totals(computed[run.pk]) for run in runs}


def _usage_rule_sql() -> str:
    """SQL choosing, for each usage key `k` of `usage_keys`, the price-book rule that prices
    it, as `subscriptions.catalog.pricing.resolve_price` chooses it (DESIGN.md "Price
    books"): of the rules of the reseller's default book and of the key's customer's own book
    that apply — effective on the period's first day (the day `selectors.usage_inputs_many`
    prices on), of the subscription's term or of every term, of its offer, its product type or
    book-wide, a fixed price only in the key's currency (`pricing._level`) — the customer's
    book's before the default book's (`resolve_price`), then the most specific (offer fixed 0,
    offer percent 1, product type 2, book-wide 3), then the latest `effective_from`, then the
    oldest, the lower id (`pricing._pick`)."""
    from subscriptions.catalog.models import PriceBook, PriceRule

    x = {f.name: f"x.{f.column}" for f in PriceRule._meta.concrete_fields}
    b = {f.name: f"b.{f.column}" for f in PriceBook._meta.concrete_fields}
    fixed, markup = PriceRule.Kind.FIXED.value, PriceRule.Kind.MARKUP.value
    return f"""
    SELECT DISTINCT ON (k.run_id, k.subscription_id) k.run_id, k.subscription_id,
           {x["kind"]} = '{fixed}' AS fixed, {x["fixed_price"]} AS fixed_price,
           CASE WHEN {x["kind"]} = '{markup}' THEN 1 + {x["percent"]} / 100
                ELSE 1 - {x["percent"]} / 100 END AS factor
      FROM usage_keys k
      JOIN {PriceRule._meta.db_table} x ON {x["reseller"]} = k.reseller_id
      JOIN {PriceBook._meta.db_table} b ON {b["id"]} = {x["book"]}
       AND {b["reseller"]} = k.reseller_id
       AND ({b["customer"]} IS NULL OR {b["customer"]} = k.customer_id)
     WHERE {x["effective_from"]} <= k.period_start
       AND {x["term"]} IN ('', k.term)
       AND ({x["kind"]} <> '{fixed}' OR {x["currency"]} = k.currency)
       AND ({x["offer"]} = k.offer_id
            OR {x["offer"]} IS NULL
            AND ({x["product_type"]} IS NULL OR {x["product_type"]} = k.product_type_id))
     ORDER BY k.run_id, k.subscription_id, {b["customer"]} IS NULL,
              CASE WHEN {x["offer"]} IS NOT NULL
                   THEN CASE WHEN {x["kind"]} = '{fixed}' THEN 0 ELSE 1 END
                   WHEN {x["product_type"]} IS NOT NULL THEN 2 ELSE 3 END,
              {x["effective_from"]} DESC, {x["id"]}"""  # noqa: S608


def _ledger_columns() -> dict[str, str]:
    """LEDGER_FIELDS → their columns."""
    columns = {}
    for f in LEDGER_FIELDS:
        field = BillingLine._meta.get_field(f)
        assert isinstance(field, models.Field) and field.column  # concrete columns
        columns[f] = field.column
    return columns


def _ledger_statement(event_queries: list[str], usage_queries: list[str], *, diff: bool) -> str:
    """The SQL of `_recompute_in_sql` for a batch whose charge events come from
    `event_queries` (one compiled `selectors.charge_events_queryset` per distinct period) and
    its usage from `usage_queries` (one compiled `selectors.usage_rows_queryset` per distinct
    period). With `diff` the computed lines are compared with the stored ones; without (no
    line stored yet: the runs' first computation) they are all inserted. Identifiers come from
    the models; every value travels as a parameter."""
    from subscriptions.catalog.models import Offer, ProductType
    from subscriptions.models import ChargeEvent, Subscription

    c = _ledger_columns()
    computed_columns = ", ".join(c[f] for f in LEDGER_FIELDS if f != "updated_at")
    subscriptions, offers = Subscription._meta.db_table, Offer._meta.db_table
    events = ChargeEvent._meta.db_table
    return f"""
WITH runs (run_id, reseller_id, period_start, period_end, usage_label) AS (
    SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::date[], %s::date[], %s::text[])
), labels (kind, label) AS (
    SELECT * FROM unnest(%s::text[], %s::text[])
), minor (currency, places) AS (
    SELECT * FROM unnest(%s::text[], %s::int[])
), events AS (
    {" UNION ALL ".join(f"({sql})" for sql in event_queries)}
), charge_keys AS (
    -- the key's customer is its first event's: read again only when its events name two
    SELECT reseller_id, subscription_id, line_kind AS kind, MIN(id) AS first_event,
           MIN(customer_id) AS customer_id, MIN(customer_id) <> MAX(customer_id) AS moved,
           SUM(quantity) AS qty, SUM(cost_amount) AS cost, SUM(price_amount) AS price,
           MIN(currency) AS currency, MIN(currency) <> MAX(currency) AS mixed
      FROM events GROUP BY reseller_id, subscription_id, line_kind
), usage (reseller_id, subscription_id, customer_id, currency, cost, qty) AS (
    {" UNION ALL ".join(f"({sql})" for sql in usage_queries)}
), usage_keys AS MATERIALIZED (
    -- one usage line per Azure plan subscription (`ledger.usage_lines`): one customer and
    -- one currency, or the pure ledger says what is wrong
    SELECT r.run_id, u.reseller_id, r.period_start, u.subscription_id,
           MIN(u.customer_id) AS customer_id, MIN(u.currency) AS currency,
           SUM(u.cost) AS cost, SUM(u.qty) AS qty,
           MIN(u.customer_id) <> MAX(u.customer_id) OR MIN(u.currency) <> MAX(u.currency)
           AS mixed, s.offer_id, s.term, o.product_type_id
      FROM usage u JOIN runs r ON r.reseller_id = u.reseller_id
      JOIN {subscriptions} s ON s.id = u.subscription_id JOIN {offers} o ON o.id = s.offer_id
     GROUP BY r.run_id, u.reseller_id, r.period_start, u.subscription_id, s.offer_id, s.term,
              o.product_type_id
), usage_rules AS (
    {_usage_rule_sql()}
), computed ({computed_columns}, problem) AS MATERIALIZED (
    SELECT r.reseller_id, r.run_id, r.period_start, r.period_end, k.subscription_id,
           CASE WHEN k.moved THEN (SELECT e.customer_id FROM {events} e WHERE e.id = k.first_event)
                ELSE k.customer_id END,
           k.kind, t.name, o.name || ' (' || s.term || ') — ' || l.label,
           k.qty::numeric, round(k.cost, m.places), round(k.price, m.places), k.currency,
           k.mixed OR m.places IS NULL
      FROM charge_keys k JOIN runs r ON r.reseller_id = k.reseller_id
      JOIN {subscriptions} s ON s.id = k.subscription_id
      JOIN {offers} o ON o.id = s.offer_id
      JOIN {ProductType._meta.db_table} t ON t.id = o.product_type_id
      JOIN labels l ON l.kind = k.kind LEFT JOIN minor m ON m.currency = k.currency
    UNION ALL
    -- `ledger._usage_line`: the cost and the price on the unrounded sum, each rounded once
    -- to the minor unit; a percent rule's price first to 6 decimals (`pricing._apply`)
    SELECT r.reseller_id, r.run_id, r.period_start, r.period_end, k.subscription_id,
           k.customer_id, %s, t.name, o.name || ' usage ' || r.usage_label, k.qty,
           round(k.cost, m.places),
           round(CASE WHEN p.fixed THEN p.fixed_price
                      WHEN p.fixed IS NULL THEN k.cost
                      ELSE round(k.cost * p.factor, 6) END, m.places),
           k.currency, k.mixed OR m.places IS NULL
      FROM usage_keys k JOIN runs r ON r.run_id = k.run_id
      JOIN {offers} o ON o.id = k.offer_id
      JOIN {ProductType._meta.db_table} t ON t.id = o.product_type_id
      LEFT JOIN usage_rules p ON p.run_id = k.run_id AND p.subscription_id = k.subscription_id
      LEFT JOIN minor m ON m.currency = k.currency
{_ledger_writes(diff=diff)}
SELECT {c["run_id"]}, {c["currency"]}, SUM({c["cost_amount"]}), SUM({c["price_amount"]}),
       bool_or(problem)
  FROM computed GROUP BY {c["run_id"]}, {c["currency"]} ORDER BY 1, 2
"""  # noqa: S608


def _ledger_writes(*, diff: bool) -> str:
    """The write CTEs of `_ledger_statement` (after `computed`): without `diff`, insert every
    computed line; with it, insert the new lines, update the changed ones (only where a value
    differs: an unchanged line is not written) and delete the vanished ones."""
    c = _ledger_columns()
    table = BillingLine._meta.db_table
    line_columns = ", ".join(c[f] for f in LEDGER_FIELDS)
    values = [c[f] for f in ledger.LINE_FIELDS]
    computed_columns = ", ".join(c[f] for f in LEDGER_FIELDS if f != "updated_at")
    if not diff:
        return f"""), inserted AS (
    INSERT INTO {table} ({line_columns})
    SELECT {computed_columns}, %s FROM computed WHERE NOT problem
    RETURNING 1
)"""  # noqa: S608
    # the stored and computed values compared as rows of the same types
    cast = {
        c[f]: "::text" if isinstance(BillingLine._meta.get_field(f), models.CharField) else ""
        for f in ledger.LINE_FIELDS
    }
    return f"""), stored AS MATERIALIZED (
    SELECT id, {c["run_id"]} AS run_id, COALESCE({c["subscription_id"]}, 0) AS subscription_id,
           {c["kind"]} AS kind, ROW({", ".join(f"{v}{cast[v]}" for v in values)}) AS line_values
      FROM {table}
     WHERE ({c["reseller_id"]}, {c["period_start"]}) IN (SELECT reseller_id, period_start FROM runs)
       AND {c["run_id"]} = ANY(%s::bigint[])
), pairs AS MATERIALIZED (
    SELECT s.id AS stored_id, x.*,
           s.id IS NOT NULL AND x.run_id IS NOT NULL
           AND s.line_values IS DISTINCT FROM ROW({", ".join(f"x.{v}{cast[v]}" for v in values)})
           AS differs
      FROM computed x FULL JOIN stored s ON s.run_id = x.{c["run_id"]}
       AND s.subscription_id = x.{c["subscription_id"]} AND s.kind = x.{c["kind"]}
), inserted AS (
    INSERT INTO {table} ({line_columns})
    SELECT {computed_columns}, %s FROM pairs
     WHERE stored_id IS NULL AND NOT problem
    RETURNING 1
), updated AS (
    UPDATE {table} b
       SET {", ".join(f"{v} = p.{v}" for v in values)}, {c["updated_at"]} = %s
      FROM pairs p
     WHERE b.id = p.stored_id AND p.differs AND NOT p.problem
    RETURNING 1
), gone AS (
    DELETE FROM {table} b
     WHERE b.id IN (SELECT stored_id FROM pairs WHERE {c["run_id"]} IS NULL)
    RETURNING 1
)"""  # noqa: S608


# the charge events' columns the ledger statement reads
_EVENT_COLUMNS = (
    "id",
    "reseller_id",
    "subscription_id",
    "customer_id",
    "quantity",
    "cost_amount",
    "price_amount",
    "currency",
    "line_kind",
)


def _compiled(querysets) -> tuple[list[str], list]:
    """The SQL texts of `querysets` and their parameters in order."""
    queries, params = [], []
    for queryset in querysets:
        sql, query_params = queryset.order_by().query.sql_with_params()
        queries.append(sql)
        params += query_params
    return queries, params


def _recompute_in_sql(runs: list[BillingRun]) -> dict[int, dict[str, ledger.Totals]]:
    """The same ledger as `_recompute_in_python`, set-based in one statement: the charge
    events `selectors.charge_events_queryset` selects summed per ledger key (the key's
    customer from its first event, as the pure ledger takes it), rounded ROUND_HALF_UP to the
    currency's minor unit (PostgreSQL's numeric round() rounds halves away from zero, as
    Decimal's ROUND_HALF_UP does) and described; the usage `selectors.usage_rows_queryset`
    selects summed per Azure plan subscription and priced on the unrounded sum by the rule
    `pricing.resolve_price` would choose (`_usage_rule_sql`), both amounts rounded once, as
    `ledger.usage_lines` does; then the new lines inserted, the changed ones updated (only
    where a value differs: an unchanged line is not written), the vanished ones deleted, and
    the totals returned per run and currency. A percent rule's product is exact in numeric
    where Decimal keeps 28 digits: both agree for usage costs below 10^10. A run with a
    key the pure ledger refuses (charges of one key in several currencies, usage of one
    subscription naming several customers or currencies, an unknown currency) is given to the
    pure ledger, which raises its error and rolls the batch back."""
    wanted = [(run.reseller_id, run.period) for run in runs]
    periods = selectors._periods(wanted)
    event_queries, event_params = _compiled(
        selectors.charge_events_queryset(period, reseller_ids).values(*_EVENT_COLUMNS)
        for period, reseller_ids in periods.items()
    )
    usage_queries, usage_params = _compiled(
        selectors.usage_rows_queryset(period, reseller_ids)
        for period, reseller_ids in periods.items()
    )
    labels = {period: usage_label(usage_period(period)) for period in periods}
    now = timezone.now()
    run_ids = [run.pk for run in runs]
    # a batch none of whose runs has a line yet (their first computation) has nothing to diff
    diff = BillingLine.objects.filter(run_id__in=run_ids).exists()
    params = [
        run_ids,
        [run.reseller_id for run in runs],
        [run.period_start for run in runs],
        [run.period_end for run in runs],
        [labels[run.period] for run in runs],
        [kind for kind, _ in BillingLine.Kind.choices],
        [str(label) for _, label in BillingLine.Kind.choices],
        list(MINOR_UNITS),
        list(MINOR_UNITS.values()),
        *event_params,
        *usage_params,
        BillingLine.Kind.USAGE.value,
        *([run_ids, now, now] if diff else [now]),
    ]
    totals: dict[int, dict[str, ledger.Totals]] = {run.pk: {} for run in runs}
    with connection.cursor() as cursor:
        cursor.execute(_ledger_statement(event_queries, usage_queries, diff=diff), params)
        rows = cursor.fetchall()
    for run_id, currency, cost, price, problem in rows:
        if problem:  # the pure ledger says why
            run = next(run for run in runs if run.pk == run_id)
            ledger.compute_lines(
                *selectors.ledger_inputs_many([(run.reseller_id, run.period)])[
                    (run.reseller_id, run.period_start)
                ]
            )
            raise ledger.LedgerError(f"Run {run_id} cannot be billed.")  # not reached
        totals[run_id][currency] = ledger.Totals(currency, cost, price)
    return totals


def _tax_tables(reseller_ids) -> tuple[list[tax.Rate], dict[int, list[tax.Exemption]]]:
    """Every tax rate (a small table operations edit) and the resellers' exemptions: two
    queries however many runs."""
    rates = [
        tax.Rate(
            r.country,
            r.region,
            r.name,
            r.rate,
            r.effective_from,
            r.effective_to,
            r.includes_country_tax,
        )
        for r in TaxRate.objects.all()
    ]
    exemptions: dict[int, list[tax.Exemption]] = defaultdict(list)
    for e in TaxExemption.objects.filter(reseller_id__in=reseller_ids):
        exemptions[e.reseller_id].append(
            tax.Exemption(e.certificate_number, e.expires_on, e.region)
        )
    return rates, exemptions


def _taxes(reseller, on: date, rates, exemptions) -> tuple[list[tax.Rate], str]:
    """The rates that tax the reseller's document dated `on`, and the note it carries.
    Without any rate of the reseller's country in the table, the flat BILLING_TAX_RATES of
    its country applies (one line)."""
    exempt = tax.exemption_for(exemptions.get(reseller.pk, ()), region=reseller.region, on=on)
    if exempt is not None:
        return [], exempt.label
    if any(r.country == reseller.country for r in rates):
        return tax.rates_in_force(
            rates, country=reseller.country, region=reseller.region, on=on
        ), ""
    flat = Decimal(str(settings.BILLING_TAX_RATES.get(reseller.country, "0")))
    return ([tax.Rate(reseller.country, "", "Tax", flat, date.min)] if flat else []), ""


def _tax_amounts(subtotal: Decimal, currency: str, rates, note: str) -> tuple:
    """(subtotal, total rate, tax, total, tax lines as JSON, note) of one document."""
    lines = tax.tax_lines(subtotal, currency, rates)
    amount = sum((x.amount for x in lines), Decimal(0))
    return (
        subtotal,
        sum((r.rate for r in rates), Decimal(0)),
        amount,
        subtotal + amount,
        [x.as_json() for x in lines],
        note,
    )


TAX_FIELDS = ("subtotal", "tax_rate", "tax_amount", "total", "tax_lines", "tax_note")


def _sync_draft_invoices(
    runs: list[BillingRun], totals: dict[int, dict[str, ledger.Totals]]
) -> None:
    """One draft invoice per run and currency with the `totals` of the run's ledger:
    cost amounts, subtotal = sum of the rounded lines, tax per jurisdiction and rate in force
    on the period's last day for the reseller's country and region (billing/tax.py).
    Unchanged invoices are not written. A draft stores no lines: they are read from the
    ledger (selectors.document_lines) until finalizing stores them."""
    invoices = {(i.run_id, i.currency): i for i in Invoice.objects.filter(run__in=runs)}
    Invoice.objects.filter(
        pk__in=[
            i.pk for (run_id, currency), i in invoices.items() if currency not in totals[run_id]
        ]
    ).delete()
    rates, exemptions = _tax_tables({run.reseller_id for run in runs})
    new, changed = [], []
    for run in runs:
        applied, note = _taxes(run.reseller, run.period_end, rates, exemptions)
        for currency, total in totals[run.pk].items():
            amounts = _tax_amounts(total.cost, currency, applied, note)
            invoice = invoices.get((run.pk, currency))
            if invoice is None:
                invoice = Invoice(
                    reseller=run.reseller,
                    run=run,
                    period_start=run.period_start,
                    period_end=run.period_end,
                    currency=currency,
                )
                new.append(invoice)
            elif tuple(getattr(invoice, f) for f in TAX_FIELDS) == amounts:
                continue
            else:
                changed.append(invoice)
            for name, value in zip(TAX_FIELDS, amounts, strict=True):
                setattr(invoice, name, value)
    Invoice.objects.bulk_update(changed, list(TAX_FIELDS))
    _insert_instances(Invoice, new)


def billing_run_finalize(*, user, run: BillingRun) -> list[Invoice]:
    """Recompute the draft one last time, then number and freeze its invoices (gapless per
    issuer and year: numbers are taken from a locked counter row inside this transaction)."""
    require_staff(user)
    with scope(reseller=run.reseller), transaction.atomic():
        run = BillingRun.objects.select_for_update().get(pk=run.pk)
        if not run.is_draft:
            raise ValidationError(f"{run} is already finalized.")
        if run.finished_at is None:
            raise ValidationError(
                f"{run} has not finished computing yet; wait for it, then finalize."
            )
        earlier = (
            BillingRun.objects.filter(
                reseller=run.reseller, status=run.Status.DRAFT, period_start__lt=run.period_start
            )
            .order_by("period_start")
            .first()
        )
        if earlier is not None:
            raise ValidationError(
                f"Finalize the earlier period {earlier.period.label} of {run.reseller} first."
            )
        _recompute([run])
        today = timezone.now().date()
        invoices = list(Invoice.objects.filter(run=run).order_by("currency"))
        for invoice in invoices:
            # the lines the draft showed, from the same function, now stored for good
            InvoiceLine.objects.bulk_create(selectors.invoice_lines_from_ledger(invoice))
            _finalize_document(invoice, INVOICE_PREFIX, today)
        run.status, run.finalized_at = BillingRun.Status.FINALIZED, timezone.now()
        run.save(update_fields=["status", "finalized_at"])
        audit(
            actor=user,
            reseller=run.reseller,
            obj=run,
            action="billing.run.finalized",
            data={"invoices": [i.number for i in invoices]},
        )
        for invoice in invoices:
            document_pdf_task.delay_on_commit(
                "invoice", invoice.pk, reseller_id=invoice.reseller_id
            )
            emit("invoice.finalized", invoice)
        from billing.statements import run_statements_queue

        run_statements_queue(run)
    return invoices


def _allocate_number(prefix: str, year: int) -> str:
    issuer = settings.BILLING_ISSUER["code"]
    DocumentCounter.objects.get_or_create(issuer=issuer, prefix=prefix, year=year)
    counter = DocumentCounter.objects.select_for_update().get(
        issuer=issuer, prefix=prefix, year=year
    )
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{prefix}-{year}-{counter.last_number:06d}"


def _finalize_document(doc, prefix: str, today: date) -> None:
    from billing.pdf import reseller_address

    issuer = settings.BILLING_ISSUER
    reseller = doc.reseller
    doc.number = _allocate_number(prefix, today.year)
    doc.issued_on = today
    doc.issuer_code, doc.issuer_name = issuer["code"], issuer["name"]
    doc.issuer_address, doc.issuer_tax_id = issuer["address"], issuer["tax_id"]
    doc.recipient_name = reseller.name
    doc.recipient_address = reseller_address(reseller)
    doc.recipient_partner_id = reseller.partner_id or ""
    doc.status, doc.finalized_at = doc.Status.FINALIZED, timezone.now()
    doc.save()


# Credit notes


def invoice_credit(
    *, user, invoice: Invoice, reason: str, line_ids: list[int] | None = None
) -> CreditNote:
    """Issue a finalized credit note for a finalized invoice: the chosen lines (default all)
    negated. A line already credited cannot be credited again."""
    require_staff(user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for the credit note.")
    with scope(reseller=invoice.reseller), transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not invoice.is_finalized:
            raise ValidationError(
                "Only a finalized invoice can be credited; correct the draft "
                "by running the billing again."
            )
        lines = list(invoice.lines.all())
        if line_ids is not None:
            unknown = set(line_ids) - {line.pk for line in lines}
            if unknown:
                raise ValidationError(f"Lines {sorted(unknown)} are not lines of {invoice.number}.")
            lines = [line for line in lines if line.pk in set(line_ids)]
        if not lines:
            raise ValidationError("Choose at least one line to credit.")
        credited = set(
            CreditNoteLine.objects.filter(invoice_line__in=lines).values_list(
                "invoice_line_id", flat=True
            )
        )
        if credited:
            positions = sorted(line.position for line in lines if line.pk in credited)
            raise ValidationError(f"Lines {positions} of {invoice.number} are already credited.")
        note = CreditNote(
            reseller=invoice.reseller,
            invoice=invoice,
            reason=reason,
            created_by=user,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            currency=invoice.currency,
            tax_rate=invoice.tax_rate,
        )
        note.subtotal = -sum((line.amount for line in lines), Decimal(0))
        # the invoice's own jurisdictions and rates, each line rounded again
        invoice_taxes = [tax.TaxLine.from_json(x) for x in invoice.tax_lines]
        credit = [
            tax.TaxLine(
                x.name,
                x.jurisdiction,
                x.rate,
                round_money(note.subtotal * x.rate / 100, note.currency),
            )
            for x in invoice_taxes
        ]
        if not invoice.tax_lines and invoice.tax_rate:  # an invoice from before tax lines
            credit = [
                tax.TaxLine(
                    "Tax",
                    invoice.reseller.country,
                    invoice.tax_rate,
                    round_money(note.subtotal * invoice.tax_rate / 100, note.currency),
                )
            ]
        note.tax_lines = [x.as_json() for x in credit]
        note.tax_note = invoice.tax_note
        note.tax_amount = sum((x.amount for x in credit), Decimal(0))
        note.total = note.subtotal + note.tax_amount
        note.save()
        CreditNoteLine.objects.bulk_create(
            [
                CreditNoteLine(
                    reseller=invoice.reseller,
                    credit_note=note,
                    invoice_line=line,
                    position=n,
                    product_type=line.product_type,
                    customer_name=line.customer_name,
                    description=line.description,
                    quantity=-line.quantity,
                    amount=-line.amount,
                )
                for n, line in enumerate(lines, start=1)
            ]
        )
        _finalize_document(note, CREDIT_NOTE_PREFIX, timezone.now().date())
        audit(
            actor=user,
            reseller=invoice.reseller,
            obj=note,
            action="billing.credit_note.issued",
            data={"invoice": invoice.number, "total": str(note.total), "reason": reason},
        )
        document_pdf_task.delay_on_commit("credit_note", note.pk, reseller_id=note.reseller_id)
    return note


# PDFs


def document_render_pdf(*, kind: str, document_id: int) -> None:
    """Render the invoice (its summary, lines attached as CSV and XLSX) or credit note to PDF
    and store it (drafts say DRAFT). An invoice's detail PDF, rendered from the previous state,
    is dropped: it is prepared again on request."""
    from billing.pdf import render_document

    model = {"invoice": Invoice, "credit_note": CreditNote}[kind]
    with scopes_disabled():
        reseller = model.objects.select_related("reseller").get(pk=document_id).reseller
    with scope(reseller=reseller), transaction.atomic():
        doc = model.objects.select_for_update().get(pk=document_id)
        content = render_document(doc)
        stale = [doc.pdf.name]
        name = f"{doc.number or f'draft-{kind}-{doc.pk}'}.pdf"
        doc.pdf.save(name, ContentFile(content), save=False)
        fields = ["pdf"]
        if isinstance(doc, Invoice) and (doc.detail_pdf or doc.detail_requested_at):
            stale.append(doc.detail_pdf.name)
            doc.detail_pdf, doc.detail_requested_at = "", None
            fields += ["detail_pdf", "detail_requested_at"]
        doc.save(update_fields=fields, allow_finalized_fields=tuple(fields))
        for old in stale:
            if old and old != doc.pdf.name:
                transaction.on_commit(partial(doc.pdf.storage.delete, old))


def invoice_detail_pdf_request(*, member, invoice: Invoice) -> Invoice:
    """Ask for the PDF of every line of `invoice` (tens of pages for a large reseller, so
    rendered only on request, by a task on the pdf queue). Nothing to do when it is ready or
    already asked for; the invoice page shows the link when it is ready."""
    require(member, "billing.view_money")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk, reseller=member.reseller)
        if invoice.detail_pdf or invoice.detail_requested_at:
            return invoice
        invoice.detail_requested_at = timezone.now()
        invoice.save(
            update_fields=["detail_requested_at"], allow_finalized_fields=("detail_requested_at",)
        )
        audit(
            actor=member.user,
            reseller=invoice.reseller,
            action="billing.invoice.detail_requested",
            obj=invoice,
        )
        invoice_detail_pdf_task.delay_on_commit(invoice.pk, reseller_id=invoice.reseller_id)
    return invoice


def invoice_render_detail_pdf(*, invoice_id: int) -> None:
    """Render and store the detail PDF asked for (a redelivered task finds it stored, or
    no longer asked for because the invoice changed since, and writes nothing)."""
    from billing.pdf import render_invoice_detail

    with scopes_disabled():
        reseller = Invoice.objects.select_related("reseller").get(pk=invoice_id).reseller
    with scope(reseller=reseller), transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.detail_pdf or not invoice.detail_requested_at:
            return
        content = render_invoice_detail(invoice)
        name = f"{invoice.number or f'draft-invoice-{invoice.pk}'}-lines.pdf"
        invoice.detail_pdf.save(name, ContentFile(content), save=False)
        invoice.save(update_fields=["detail_pdf"], allow_finalized_fields=("detail_pdf",))


def run_invoices(run_ids: list[int]) -> list[tuple[int, int]]:
    """(invoice id, reseller id) of the runs `run_ids`' invoices, in one query."""
    with scopes_disabled():
        return list(
            Invoice.objects.filter(run__in=run_ids).order_by("pk").values_list("pk", "reseller_id")
        )


# Tasks. Late acknowledgement and rejection on a lost worker make a killed worker's task come
# back; the services are idempotent, so a redelivered task writes nothing twice.
RELIABLE = {"acks_late": True, "reject_on_worker_lost": True, "base": ResellerTask}


@shared_task(**RELIABLE)
def billing_runs_fan_out_task(run_ids: list[int]) -> int:
    """One compute task per batch of runs (`billing_run_batches`): a batch is billed with the
    queries of one run, and the batches spread over the workers."""
    batches = billing_run_batches(run_ids)
    for batch in batches:
        billing_runs_compute_task.delay(batch)
    return len(batches)


@shared_task(**RELIABLE)
def billing_runs_compute_task(run_ids: list[int]) -> int:
    """Compute a batch of runs' ledgers and draft invoices, then one PDF task per invoice."""
    try:
        billing_runs_compute(run_ids=run_ids)
    except Exception as exc:
        for run_id in run_ids:
            billing_run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
            record_failure("billing.run", BillingRun, run_id, reason_of(exc))
        raise
    invoices = run_invoices(run_ids)
    for invoice_id, reseller_id in invoices:
        document_pdf_task.delay("invoice", invoice_id, reseller_id=reseller_id)
    return len(invoices)


@shared_task(**RELIABLE)
def document_pdf_task(kind: str, document_id: int) -> None:
    document_render_pdf(kind=kind, document_id=document_id)


@shared_task(**RELIABLE)
def invoice_detail_pdf_task(invoice_id: int) -> None:
    invoice_render_detail_pdf(invoice_id=invoice_id)
