import functools
from collections import defaultdict
from datetime import date
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.sql.constants import MULTI
from django.shortcuts import get_object_or_404
from django.utils import timezone

from billing import ledger
from billing.models import (
    BillingCalendar,
    BillingLine,
    BillingRun,
    CreditNote,
    Invoice,
    InvoiceLine,
    Statement,
)
from billing.periods import FIXED_START_DAYS, Period, billing_period, usage_label, usage_period
from billing.usage.models import UsageLine, UsageSummary


def calendar_overrides() -> dict[str, int]:
    """Country code → period start day, as operations set it in the admin (one query)."""
    return dict(BillingCalendar.objects.values_list("country", "period_start_day"))


def calendar_overrides_for(country: str) -> dict[str, int]:
    """`calendar_overrides()` where they can matter: the calendar operations edit is read only
    for the countries it can change (not the US and Canada, whose periods are fixed)."""
    return {} if country in FIXED_START_DAYS else calendar_overrides()


def reseller_period(reseller, on_date: date, *, overrides: dict[str, int] | None = None) -> Period:
    """The billing period of `reseller` (by its country) containing `on_date`. US and CA are
    fixed; other countries use the admin's BillingCalendar (pass `overrides` from
    `calendar_overrides()` to avoid a query per reseller in loops)."""
    if overrides is None:
        overrides = calendar_overrides()
    return billing_period(reseller.country, on_date, overrides=overrides)


# --- usage import -----------------------------------------------------------------------


# Billing runs, ledger, invoices (reads; tenant-scoped unless named ops_*)


def ledger_inputs(reseller, period: Period, *, last_finalized: list[tuple] | None = None):
    """(charges, usage) of `reseller` for `period`, as the pure ledger's inputs.
    `last_finalized`: the reseller's last finalized run before `period` as `finalized_runs`
    gives it, when the caller has read it already (None: read here)."""
    finals = None if last_finalized is None else {period.start: last_finalized}
    return ledger_inputs_many([(reseller.pk, period)], finals=finals)[(reseller.pk, period.start)]


def finalized_runs(reseller, *, through: Period, count: int = 3) -> list[tuple]:
    """(period start, period end, finalized at) of the reseller's last `count` finalized runs
    that start on or before `through`'s start, newest first (one query): which of
    `through` and the periods before it are finalized, and `last_finalized_of` each."""
    return list(
        BillingRun.objects.filter(
            reseller=reseller,
            status=BillingRun.Status.FINALIZED,
            period_start__lte=through.start,
        )
        .order_by("-period_start")
        .values_list("period_start", "period_end", "finalized_at")[:count]
    )


def last_finalized_of(reseller, period: Period, runs: list[tuple]) -> list[tuple]:
    """From `finalized_runs`' rows: the reseller's last finalized run before `period` as
    `_last_finalized` gives it ([] if none; one run per reseller and period)."""
    return [
        (reseller.pk, end, finalized_at)
        for start, end, finalized_at in runs
        if start < period.start
    ][:1]


def _periods(wanted) -> dict[Period, list[int]]:
    by_period: dict[Period, list[int]] = defaultdict(list)
    for reseller_id, period in wanted:
        by_period[period].append(reseller_id)
    return by_period


def ledger_inputs_many(
    wanted, *, finals: dict[date, list[tuple]] | None = None
) -> dict[tuple[int, date], tuple[list, list]]:
    """(charges, usage) for each (reseller id, period) of `wanted`, keyed by (reseller id,
    period start), as the pure ledger's inputs, summed in the database: rows per ledger key
    rather than per event or usage line, and a constant number of queries per distinct period
    however many resellers (a batch of billing runs reads them all at once). `finals`: per
    period start, the resellers' last finalized runs before it as `_last_finalized` gives
    them, when the caller has read them (otherwise read here, one query per period).

    Charges: the events dated in the period per (subscription, kind, currency), plus the
    events that arrived after the reseller's last finalized period was finalized (dated in it
    or before), billed here once as one adjustment line per subscription. Usage: the
    non-marketplace Azure plan usage of the previous calendar month per (subscription,
    currency), unrounded, with the price-book rules that price it."""
    result: dict[tuple[int, date], tuple[list, list]] = {
        (reseller_id, period.start): ([], []) for reseller_id, period in wanted
    }
    for period, reseller_ids in _periods(wanted).items():
        charges = {
            reseller_id: result[(reseller_id, period.start)][0] for reseller_id in reseller_ids
        }
        for (
            reseller_id,
            subscription_id,
            customer_id,
            kind,
            offer,
            term,
            product_type,
            quantity,
            cost,
            price,
            currency,
        ) in _charge_sums(period, reseller_ids, finals=(finals or {}).get(period.start)):
            charges[reseller_id].append(
                ledger.ChargeInput(
                    subscription_id,
                    customer_id,
                    kind,
                    _description(offer, term, kind),
                    product_type,
                    quantity,
                    cost,
                    price,
                    currency,
                )
            )
    for key, usage in usage_inputs_many(wanted).items():
        result[key][1].extend(usage)
    return result


def usage_inputs_many(wanted) -> dict[tuple[int, date], list[ledger.UsageInput]]:
    """The usage part of `ledger_inputs_many`: (reseller id, period start) → the Azure plan
    usage sums of its usage month with the price-book rules that price them (three queries
    per distinct period, whatever the number of resellers)."""
    result: dict[tuple[int, date], list[ledger.UsageInput]] = {
        (reseller_id, period.start): [] for reseller_id, period in wanted
    }
    usage_rows = []
    for period, reseller_ids in _periods(wanted).items():
        usage_rows += [(period, s) for s in _usage_sums(period, reseller_ids)]
    if not usage_rows:
        return result
    books = _price_books({s["reseller_id"] for _, s in usage_rows})
    labels = {period: usage_label(usage_period(period)) for period in {p for p, _ in usage_rows}}
    for period, s in usage_rows:
        default, by_customer = books[s["reseller_id"]]
        result[(s["reseller_id"], period.start)].append(
            ledger.UsageInput(
                subscription_id=s["subscription_id"],
                customer_id=s["customer"],
                description=f"{s['offer_name']} usage {labels[period]}",
                product_type=s["product_type_name"],
                offer_id=s["offer_id"],
                product_type_id=s["product_type_pk"],
                term=s["term"],
                quantity=s["qty"],
                cost=s["cost"],
                currency=s["currency"],
                priced_on=period.start,
                customer_rules=by_customer.get(s["customer"], ()),
                default_rules=default,
            )
        )
    return result


_KIND_LABELS = dict(BillingLine.Kind.choices)


@functools.cache
def _description(offer: str, term: str, kind: str) -> str:
    return f"{offer} ({term}) — {_KIND_LABELS[kind]}"


CHARGE_SUM_FIELDS = (
    "reseller_id",
    "subscription_id",
    "customer_id",
    "line_kind",
    "offer",
    "term",
    "product_type",
    "qty",
    "cost",
    "price",
    "currency",
)


def _charge_sums(
    period: Period, reseller_ids: list[int], *, finals: list[tuple] | None = None
) -> list[tuple]:
    """Charge events of `period` (and late ones) of the resellers, summed per (reseller,
    subscription, line kind, currency), as tuples in the order of each group's first event:
    the ledger takes a key's customer from its first input, as when it summed the events one
    by one."""
    return _tuples(charge_sums_queryset(period, reseller_ids, finals=finals), CHARGE_SUM_FIELDS)


def charge_sums_queryset(
    period: Period, reseller_ids: list[int], *, finals: list[tuple] | None = None
):
    """The query of `_charge_sums`: values of CHARGE_SUM_FIELDS and `first_event`, the
    group's first event id."""
    return (
        charge_events_queryset(period, reseller_ids, finals=finals)
        .values(
            "reseller_id",
            "subscription_id",
            "customer_id",
            "currency",
            "line_kind",
            offer=F("subscription__offer__name"),
            term=F("subscription__term"),
            product_type=F("subscription__offer__product_type__name"),
        )
        .annotate(
            qty=Sum("quantity"),
            cost=Sum("cost_amount"),
            price=Sum("price_amount"),
            first_event=Min("pk"),
        )
        .order_by("first_event")
    )


def charge_events_queryset(
    period: Period, reseller_ids: list[int], *, finals: list[tuple] | None = None
):
    """The charge events a run of `period` bills for the resellers, unsummed, with their
    `line_kind`: those dated in the period (their own kind), and the late ones (an
    "adjustment"): dated in or before the reseller's last finalized period and created after
    it was finalized. `finals`: `_last_finalized(period, reseller_ids)` when the caller has
    read it."""
    from subscriptions.models import ChargeEvent

    charges = Q(reseller_id__in=reseller_ids, charge_date__range=(period.start, period.end))
    if finals is None:
        finals = _last_finalized(period, reseller_ids)
    if finals:
        # late: dated in (or before) the reseller's last finalized period, created after that
        # period was finalized; one CASE branch per distinct (period end, finalized at)
        groups: dict[tuple, list[int]] = defaultdict(list)
        for reseller_id, end, finalized_at in finals:
            groups[(end, finalized_at)].append(reseller_id)
        last_end = Case(
            *(When(reseller_id__in=ids, then=Value(end)) for (end, _), ids in groups.items()),
            output_field=DateField(),
        )
        finalized = Case(
            *(When(reseller_id__in=ids, then=Value(at)) for (_, at), ids in groups.items()),
            output_field=DateTimeField(),
        )
        charges |= Q(
            reseller_id__in=[f[0] for f in finals],
            charge_date__lt=period.start,
            charge_date__lte=last_end,
            created_at__gt=finalized,
        )
    adjustment = BillingLine.Kind.ADJUSTMENT.value
    return ChargeEvent.objects.filter(charges).annotate(
        line_kind=Case(
            When(charge_date__lt=period.start, then=Value(adjustment)), default=F("kind")
        )
    )


def _tuples(queryset, names) -> list[tuple]:
    """The rows of a values() `queryset` as tuples of `names`. On PostgreSQL straight from the
    driver, which already returns Decimal, int, str and date: Django's per-row converters
    would only copy the values again, at ≈5 µs a row (a batch of runs reads 100,000 rows)."""
    if connection.vendor != "postgresql":
        return list(queryset.values_list(*names))
    query = queryset.query
    columns = [*query.extra_select, *query.values_select, *query.annotation_select]
    pick = itemgetter(*(columns.index(name) for name in names))
    chunks = query.get_compiler(queryset.db).execute_sql(MULTI)
    return [pick(row) for chunk in chunks for row in chunk]


def _last_finalized(period: Period, reseller_ids: list[int]) -> list[tuple]:
    """(reseller id, period end, finalized at) of each reseller's last finalized run before
    `period` (periods are finalized in order, so it is also the last one finalized)."""
    finalized = BillingRun.objects.filter(
        status=BillingRun.Status.FINALIZED, period_start__lt=period.start
    )
    later = finalized.filter(
        reseller_id=OuterRef("reseller_id"), period_start__gt=OuterRef("period_start")
    )
    return list(
        finalized.filter(reseller_id__in=reseller_ids)
        .exclude(Exists(later))
        .values_list("reseller_id", "period_end", "finalized_at")
    )


def _usage_sums(period: Period, reseller_ids: list[int]) -> list[Any]:
    """Exact sums of the non-marketplace usage dated in the previous period of the same
    country (`periods.usage_period`) per (reseller, subscription, currency). A calendar month
    is read from its UsageSummary rows (per subscription, meter and currency, written by the
    import in the transaction that loaded the lines); any other period (Canada's 20th–19th)
    from the lines of its days."""
    rows, cost, qty = _usage_source(period, reseller_ids)
    sums = sorted(
        rows.values(
            "reseller_id",
            "subscription_id",
            "currency",
            # the subscription's offer and term, the same for every row of the group
            offer_id=F("subscription__offer_id"),
            term=F("subscription__term"),
            offer_name=F("subscription__offer__name"),
            product_type_name=F("subscription__offer__product_type__name"),
            product_type_pk=F("subscription__offer__product_type_id"),
        )
        .annotate(
            customer=Min("customer_id"),
            other_customer=Max("customer_id"),
            cost=Sum(cost),
            qty=Sum(qty),
        )
        .order_by(),
        key=itemgetter("reseller_id", "subscription_id", "currency"),
    )
    for s in sums:
        if s["customer"] != s["other_customer"]:
            raise ledger.LedgerError(
                f"Usage of subscription {s['subscription_id']} names "
                "several customers; one line has one customer."
            )
    return sums


def _usage_source(period: Period, reseller_ids: list[int]) -> tuple[Any, str, str]:
    """(rows, cost field, quantity field) of the usage a run of `period` bills for the
    resellers: the monthly summaries of a calendar usage month, else the non-marketplace
    lines of its days."""
    usage = usage_period(period)
    if usage.is_calendar_month:
        rows = UsageSummary.objects.filter(reseller_id__in=reseller_ids, month=usage.start)
        return rows, "pre_tax_total", "quantity"
    rows = UsageLine.objects.filter(
        reseller_id__in=reseller_ids,
        is_marketplace=False,
        usage_date__range=(usage.start, usage.end),
    )
    return rows, "billing_pre_tax_total", "quantity"


def usage_rows_queryset(period: Period, reseller_ids: list[int]):
    """The rows `_usage_sums` adds up, unsummed, as values reseller_id, subscription_id,
    customer_id, currency, cost and qty (for the billing run's SQL statement)."""
    rows, cost, qty = _usage_source(period, reseller_ids)
    return rows.values(
        "reseller_id", "subscription_id", "customer_id", "currency", cost=F(cost), qty=F(qty)
    ).order_by()


def _price_books(reseller_ids) -> dict[int, tuple[tuple, dict]]:
    """Reseller id → (default book's rules, {customer id: own book's rules}). The rules carry
    no label: a ledger line does not say which rule priced it (two plain queries)."""
    from subscriptions.catalog.models import PriceBook, PriceRule
    from subscriptions.catalog.pricing import Rule

    rules: dict[int, list] = defaultdict(list)
    fields = (
        "kind",
        "effective_from",
        "offer_id",
        "product_type_id",
        "term",
        "percent",
        "fixed_price",
        "currency",
        "id",
    )
    for book_id, *values in (
        PriceRule.objects.filter(reseller_id__in=reseller_ids)
        .order_by()
        .values_list("book_id", *fields)
    ):
        rules[book_id].append(Rule(**dict(zip(fields, values, strict=True))))
    default: dict[int, tuple] = {}
    by_customer: dict[int, dict] = defaultdict(dict)
    for book_id, reseller_id, customer_id in PriceBook.objects.filter(
        reseller_id__in=reseller_ids
    ).values_list("pk", "reseller_id", "customer_id"):
        if customer_id is None:  # one default book per reseller (a constraint)
            default[reseller_id] = tuple(rules[book_id])
        else:
            by_customer[reseller_id][customer_id] = tuple(rules[book_id])
    return {r: (default.get(r, ()), by_customer[r]) for r in reseller_ids}


def current_period(reseller) -> Period:
    return reseller_period(reseller, timezone.now().date())


def invoices_of(reseller):
    return Invoice.objects.filter(reseller=reseller).order_by("-period_start", "currency", "pk")


def invoice_lines_from_ledger(invoice: Invoice) -> list[InvoiceLine]:
    """The lines (unsaved) the run's ledger makes on `invoice`: one per ledger line of its
    currency, with the cost amount, by product type, customer, description, kind. A draft
    invoice shows them as the ledger is now; finalizing stores exactly these."""
    lines = sorted(
        BillingLine.objects.filter(run_id=invoice.run_id, currency=invoice.currency).select_related(
            "customer"
        ),
        key=lambda b: (b.product_type, b.customer.company_name, b.description, b.kind, b.pk),
    )
    return [
        InvoiceLine(
            reseller_id=invoice.reseller_id,
            invoice=invoice,
            position=position,
            product_type=b.product_type,
            customer_name=b.customer.company_name,
            description=b.description,
            quantity=b.quantity,
            amount=b.cost_amount,
            billing_line=b,
        )
        for position, b in enumerate(lines, start=1)
    ]


def document_lines(doc) -> list:
    """A document's lines by position: stored for credit notes and finalized invoices; for a
    draft invoice, what finalizing would store (the billing run writes no lines on drafts)."""
    if isinstance(doc, Invoice) and not doc.is_finalized:
        return invoice_lines_from_ledger(doc)
    return list(doc.lines.order_by("position"))


def invoice_get(*, member, invoice_id: int) -> Invoice:
    return get_object_or_404(invoices_of(member.reseller), pk=invoice_id)


def credit_note_get(*, member, credit_note_id: int) -> CreditNote:
    return get_object_or_404(CreditNote.objects.filter(reseller=member.reseller), pk=credit_note_id)


def ledger_lines(reseller, period_start):
    return (
        BillingLine.objects.filter(reseller=reseller, period_start=period_start)
        .select_related("customer", "subscription")
        .order_by(
            "customer__company_name", "customer_id", "product_type", "description", "kind", "pk"
        )
    )


def billed_periods(reseller) -> list[Period]:
    """Periods that have a billing run, newest first."""
    return [
        Period(s, e)
        for s, e in BillingRun.objects.filter(reseller=reseller)
        .order_by("-period_start")
        .values_list("period_start", "period_end")
    ]


def customer_statements(reseller, period_start) -> list[dict]:
    """What the reseller charges each end customer in the period (price amounts) from the
    ledger: [{customer, lines, totals: {currency: Totals}, document}], by customer name;
    `document` is the statement PDF's row once the period is finalized (else None)."""
    result: dict[int, dict] = {}
    for line in ledger_lines(reseller, period_start):
        entry = result.setdefault(line.customer_id, {"customer": line.customer, "lines": []})
        entry["lines"].append(line)
    documents = {
        s.customer_id: s
        for s in Statement.objects.filter(
            reseller=reseller, period_start=period_start, customer_id__in=list(result)
        )
    }
    for customer_id, entry in result.items():
        entry["totals"] = ledger.totals(entry["lines"])
        entry["document"] = documents.get(customer_id)
    return list(result.values())


def customer_statement(*, member, customer_id: int, period_start) -> dict:
    from customers.models import Customer

    customer: Customer = get_object_or_404(
        Customer.objects.filter(reseller=member.reseller), pk=customer_id
    )
    lines = list(ledger_lines(member.reseller, period_start).filter(customer=customer))
    document = Statement.objects.filter(
        reseller=member.reseller, customer=customer, period_start=period_start
    ).first()
    return {
        "customer": customer,
        "lines": lines,
        "totals": ledger.totals(lines),
        "document": document,
    }


def statement_get(*, member, customer_id: int, period_start) -> Statement:
    """The statement PDF's row of one of the member's customers (404 for anyone else's)."""
    return get_object_or_404(
        Statement.objects.filter(reseller=member.reseller),
        customer_id=customer_id,
        period_start=period_start,
    )


def ops_runs():
    return BillingRun.objects.select_related("reseller").order_by("-period_start", "reseller__name")


def credit_notes_of(reseller):
    return CreditNote.objects.filter(reseller=reseller).order_by("-period_start", "pk")


def statements_of(reseller):
    """The customer statements made when operations finalized the reseller's periods."""
    return Statement.objects.filter(reseller=reseller).select_related("customer")


def usage_summaries_of(reseller):
    """Monthly usage per customer, subscription and meter (what the usage reports sum)."""
    return UsageSummary.objects.filter(reseller=reseller).select_related("product_type")
