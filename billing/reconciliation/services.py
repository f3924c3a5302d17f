"""Three-way reconciliation of a billing period (DESIGN "Billing periods"; issue 23).

For the billing periods starting on one day (every reseller whose period starts then):

1. Microsoft ↔ the portal's cost ledger: Microsoft's rated Azure plan usage (the imported daily
   rated usage lines, summed per subscription and usage month) against the ledger's usage lines
   of the runs that bill that month; and, once Microsoft's invoice of the period is pulled
   (`billed_reconciliation_pull`), its licence-based / New Commerce line items (summed per
   subscription and the period their charge starts in) against the ledger's licence lines
   (every kind but usage and adjustments): a seat charge missing on one side, a quantity or a
   price that differs.
2. The ledger ↔ the reseller invoices: every ledger line of a finalized run against the line
   its invoice stored.
3. The reseller invoices ↔ the customer statements: every customer charged on a finalized
   invoice has its statement (statements show the ledger's price amounts).

The lines of each leg are compared by the pure `match.match`, with the neighbouring periods on
both sides so that a charge put in the wrong period is told from a missing one. A run replaces
the period's differences in one transaction: running it again gives the same result, and a
difference that was fixed is gone.
"""

import dataclasses
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.models import BillingLine, BillingRun, InvoiceLine, Statement
from billing.periods import Period, usage_label, usage_period
from billing.reconciliation import match
from billing.reconciliation.models import (
    Difference,
    MicrosoftCharge,
    MicrosoftInvoice,
    ReconciliationRun,
)
from billing.usage.models import UsageLine
from partner_center import graph_billing
from partner_center.errors import GatewayError
from portal.audit import audit
from portal.permissions import require_staff
from subscriptions.catalog.models import ProductType
from subscriptions.models import Subscription

R = Difference.Reason
# match's one-sided reasons in each leg's words
MISSING = {
    Difference.Leg.MICROSOFT: (R.MISSING_IN_PORTAL, R.MISSING_AT_MICROSOFT),
    Difference.Leg.INVOICE: (R.MISSING_ON_INVOICE, R.MISSING_IN_LEDGER),
    Difference.Leg.STATEMENT: (R.MISSING_ON_STATEMENT, R.MISSING_ON_INVOICE),
}


def reconciliation_run(*, user, period_start: date) -> ReconciliationRun:
    """Reconcile the billing periods starting on `period_start` (operations)."""
    require_staff(user)
    with scopes_disabled(), transaction.atomic():
        runs = list(
            BillingRun.objects.filter(period_start=period_start)
            .select_related("reseller")
            .order_by("reseller_id")
        )
        if not runs:
            raise ValidationError(f"No billing run has a period starting on {period_start}.")
        period = runs[0].period
        run, _ = ReconciliationRun.objects.select_for_update().get_or_create(
            period_start=period.start, defaults={"period_end": period.end}
        )
        counts = Counter()
        differences = [
            *_microsoft_leg(run, runs, period, counts),
            *_licence_leg(run, runs, period, counts),
            *_invoice_leg(run, runs, counts),
            *_statement_leg(run, runs),
        ]
        run.differences.all().delete()
        Difference.objects.bulk_create(differences, batch_size=1000)
        run.period_end, run.started_by, run.finished_at = period.end, user, timezone.now()
        run.microsoft_lines = counts["microsoft"] + counts["licences"]
        run.ledger_lines, run.document_lines = counts["ledger"], counts["documents"]
        run.save()
        audit(
            actor=user,
            reseller=None,
            obj=run,
            action="billing.reconciliation.run",
            data={
                "period": period.label,
                "differences": len(differences),
                "by_reason": dict(Counter(d.reason for d in differences)),
            },
        )
    return run


def _difference(run, leg, d: match.Difference, meta: dict, **fields) -> Difference:
    reason = d.reason
    if reason in (match.MISSING_RIGHT, match.MISSING_LEFT):
        reason = MISSING[leg][0 if reason == match.MISSING_RIGHT else 1]
    left, right = d.left, d.right
    any_side = left or right
    return Difference(
        run=run,
        leg=leg,
        reason=reason,
        amount=d.amount,
        currency=any_side.currency,
        left_period=left and left.period,
        left_quantity=left and left.quantity,
        left_amount=left and left.amount,
        left_currency=left.currency if left else "",
        right_period=right and right.period,
        right_quantity=right and right.quantity,
        right_amount=right and right.amount,
        right_currency=right.currency if right else "",
        **meta,
        **fields,
    )


def _microsoft_leg(run, runs, period: Period, counts) -> list[Difference]:
    """Microsoft's usage per subscription and usage period (the previous period of the same
    country, `periods.usage_period`: US the calendar month) ↔ the ledger's usage lines."""
    resellers = [r.reseller_id for r in runs]
    periods = (period.previous(), period, period.next())
    microsoft, meta = [], {}
    for usage in map(usage_period, periods):
        for row in (
            UsageLine.objects.filter(
                reseller_id__in=resellers,
                is_marketplace=False,
                usage_date__range=(usage.start, usage.end),
            )
            .values("reseller_id", "customer_id", "subscription_id", "currency")
            .annotate(quantity=Sum("quantity"), amount=Sum("billing_pre_tax_total"))
            .order_by()
        ):
            microsoft.append(
                match.Line(
                    row["subscription_id"],
                    usage.start,
                    row["quantity"],
                    None,
                    row["amount"],
                    row["currency"],
                )
            )
            meta[row["subscription_id"]] = {
                "reseller_id": row["reseller_id"],
                "customer_id": row["customer_id"],
            }
    ledger, lines = [], {}
    for line in BillingLine.objects.filter(
        reseller_id__in=resellers,
        kind=BillingLine.Kind.USAGE,
        period_start__in=[p.start for p in periods],
    ):
        month = usage_period(Period(line.period_start, line.period_end)).start
        ledger.append(
            match.Line(
                line.subscription_id,
                month,
                line.quantity,
                None,
                line.cost_amount,
                line.currency,
                ref=line.pk,
            )
        )
        meta.setdefault(
            line.subscription_id, {"reseller_id": line.reseller_id, "customer_id": line.customer_id}
        )
        lines[line.pk] = line
    usages = {u.start: u for u in map(usage_period, periods)}
    month = usage_period(period).start
    counts["microsoft"] = sum(1 for m in microsoft if m.period == month)
    found = match.match(microsoft, ledger, period=month)
    names = dict(
        Subscription.objects.filter(pk__in={d.key for d in found}).values_list(
            "pk", "offer__product_type__name"
        )
    )
    return [
        _difference(
            run,
            Difference.Leg.MICROSOFT,
            d,
            meta[d.key],
            subscription_id=d.key,
            usage_month=month,
            product_type=names.get(d.key, ""),
            billing_line_id=d.right.ref if d.right else None,
            description=_usage_description(d, names.get(d.key, ""), lines, usages),
        )
        for d in found
    ]


def _usage_description(d: match.Difference, product_type: str, lines, usages) -> str:
    line = lines.get(d.right.ref) if d.right else None
    if line is not None:
        return line.description[:300]
    usage = usages[d.left.period]
    return f"{product_type or 'Azure plan'} usage {usage_label(usage)}"


def _invoice_leg(run, runs, counts) -> list[Difference]:
    """Ledger lines of the finalized runs ↔ the lines their invoices stored."""
    finalized = [r.pk for r in runs if not r.is_draft]
    ledger, meta = [], {}
    for line in BillingLine.objects.filter(run_id__in=finalized):
        ledger.append(
            match.Line(
                line.pk,
                line.period_start,
                line.quantity,
                None,
                line.cost_amount,
                line.currency,
                ref=line.pk,
            )
        )
        meta[line.pk] = {
            "reseller_id": line.reseller_id,
            "customer_id": line.customer_id,
            "subscription_id": line.subscription_id,
            "billing_line_id": line.pk,
            "product_type": line.product_type,
            "description": line.description[:300],
        }
    documents = []
    for line in InvoiceLine.objects.filter(invoice__run_id__in=finalized).select_related("invoice"):
        key = line.billing_line_id or f"invoice line {line.pk}"
        documents.append(
            match.Line(
                key,
                line.invoice.period_start,
                line.quantity,
                None,
                line.amount,
                line.invoice.currency,
                ref=line.pk,
            )
        )
        meta.setdefault(
            key,
            {
                "reseller_id": line.reseller_id,
                "product_type": line.product_type,
                "description": f"{line.invoice} line {line.position}: {line.description}"[:300],
            },
        )
    counts["ledger"], counts["documents"] = len(ledger), len(documents)
    if not finalized:
        return []
    period_start = runs[0].period_start
    return [
        _difference(run, Difference.Leg.INVOICE, d, meta[d.key])
        for d in match.match(ledger, documents, period=period_start)
    ]


def _statement_leg(run, runs) -> list[Difference]:
    """Every customer charged on a finalized invoice has its statement (the statement shows the
    ledger's price amounts, so only its absence can differ)."""
    finalized = [r for r in runs if not r.is_draft]
    if not finalized:
        return []
    period_start = runs[0].period_start
    charged = {}
    for row in (
        BillingLine.objects.filter(run__in=finalized)
        .values("reseller_id", "customer_id", "currency")
        .annotate(price=Sum("price_amount"), quantity=Sum("quantity"))
        .order_by()
    ):
        charged[(row["customer_id"], row["currency"])] = row
    stated = set(Statement.objects.filter(run__in=finalized).values_list("customer_id", flat=True))
    invoices = [
        match.Line(key, period_start, row["quantity"], None, row["price"], row["currency"])
        for key, row in charged.items()
    ]
    statements = [line for line in invoices if line.key[0] in stated]
    return [
        _difference(
            run,
            Difference.Leg.STATEMENT,
            d,
            {"reseller_id": charged[d.key]["reseller_id"], "customer_id": d.key[0]},
            description=f"Statement {d.key[1]} of the period",
        )
        for d in match.match(invoices, statements, period=period_start)
    ]


# --- Microsoft's billed invoice reconciliation (licence-based / New Commerce line items) -------


def _licence_leg(run, runs, period: Period, counts) -> list[Difference]:
    """Microsoft's billed licence line items ↔ the ledger's licence lines, per subscription and
    the period a charge starts in (the neighbouring periods too, to tell a charge in the wrong
    period). Compared only once an invoice of Microsoft's with charges of the period is pulled:
    before, Microsoft has billed nothing to compare."""
    resellers = [r.reseller_id for r in runs]
    periods = (period.previous(), period, period.next())
    charges = MicrosoftCharge.objects.filter(
        reseller_id__in=resellers,
        charge_start__range=(periods[0].start, periods[-1].end),
    )
    if not charges.filter(charge_start__range=(period.start, period.end)).exists():
        return []
    licence = ~Q(subscription__offer__product_type__billing=ProductType.Billing.USAGE)
    meta: dict = {}
    microsoft: dict = {}
    for charge in charges.filter(licence).order_by():
        start = next(p.start for p in periods if p.start <= charge.charge_start <= p.end)
        key = (charge.subscription_id, start, charge.currency)
        quantity, amount = microsoft.get(key, (Decimal(0), Decimal(0)))
        microsoft[key] = (quantity + charge.quantity, amount + charge.subtotal)
        meta.setdefault(
            charge.subscription_id,
            {"reseller_id": charge.reseller_id, "customer_id": charge.customer_id},
        )
    ledger, lines = [], {}
    for line in (
        BillingLine.objects.filter(
            licence,
            reseller_id__in=resellers,
            subscription__isnull=False,
            period_start__in=[p.start for p in periods],
        )
        .exclude(kind__in=[BillingLine.Kind.USAGE, BillingLine.Kind.ADJUSTMENT])
        .order_by("pk")
    ):
        lines.setdefault((line.subscription_id, line.period_start), []).append(line)
        meta.setdefault(
            line.subscription_id, {"reseller_id": line.reseller_id, "customer_id": line.customer_id}
        )
    for (subscription_id, start), group in lines.items():
        ledger.append(
            match.Line(
                subscription_id,
                start,
                sum((line.quantity for line in group), Decimal(0)),
                None,
                sum((line.cost_amount for line in group), Decimal(0)),
                group[0].currency,
                ref=group[0].pk,
            )
        )
    left = [
        match.Line(subscription_id, start, quantity, None, amount, currency)
        for (subscription_id, start, currency), (quantity, amount) in microsoft.items()
    ]
    counts["licences"] = sum(1 for line in left if line.period == period.start)
    found = match.match(left, ledger, period=period.start)
    names = dict(
        Subscription.objects.filter(pk__in={d.key for d in found}).values_list("pk", "offer__name")
    )
    return [
        _difference(
            run,
            Difference.Leg.MICROSOFT,
            d,
            meta[d.key],
            subscription_id=d.key,
            product_type=lines[(d.key, d.right.period)][0].product_type if d.right else "",
            billing_line_id=d.right.ref if d.right else None,
            description=f"{names.get(d.key, 'Subscription')}: licences of "
            f"{(d.left or d.right).period:%Y-%m-%d} (Microsoft's invoice)"[:300],
        )
        for d in found
    ]


def _field(line: dict, name: str):
    """A line item's attribute, its name matched without regard to case."""
    for key, value in line.items():
        if key.lower() == name.lower():
            return value
    return None


def _decimal(value) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def billed_reconciliation_pull(
    *, invoice_id: str, period_start: date | None = None, period_end: date | None = None
) -> MicrosoftInvoice:
    """Pull one Microsoft invoice's billed reconciliation line items through Microsoft Graph
    and keep those that name a subscription of the portal (operations; the beat job
    `billing.tasks.pull_billed_reconciliation` when an invoice is out). A pull replaces the
    invoice's earlier lines in one transaction: pulling again gives the same lines.

    Attribute names as Microsoft spells them in the export's blobs (the billed invoice
    reconciliation line item, https://learn.microsoft.com/partner-center/developer/
    billed-invoice-reconciliation and the SDK's `Invoices/OneTimeInvoiceLineItem.cs`):
    CustomerId, SubscriptionId, OrderId, ProductId, SkuId, AvailabilityId, SkuName, ChargeType,
    TermAndBillingCycle, ChargeStartDate, ChargeEndDate, Quantity, UnitPrice, Subtotal,
    Currency."""
    progress = graph_billing.Progress()
    with scopes_disabled():
        subscriptions = {
            pc.lower(): (pk, customer_id, reseller_id)
            for pk, pc, customer_id, reseller_id in Subscription.objects.exclude(
                partner_center_id=None
            )
            .exclude(partner_center_id="")
            .values_list("pk", "partner_center_id", "customer_id", "reseller_id")
        }
        charges, unknown = [], 0
        try:
            lines = graph_billing.get_graph_billing().lines(
                graph_billing.BILLED_RECONCILIATION,
                graph_billing.invoice_body(invoice_id),
                progress,
            )
            for position, line in enumerate(lines, start=1):
                ref = subscriptions.get(str(_field(line, "SubscriptionId") or "").lower())
                start = graph_billing.as_date(_field(line, "ChargeStartDate"))
                if ref is None or start is None:
                    unknown += 1
                    continue
                charges.append(_charge(line, position, ref, start))
        except GatewayError as e:
            invoice, _ = MicrosoftInvoice.objects.update_or_create(
                invoice_id=invoice_id,
                defaults={
                    "status": MicrosoftInvoice.Status.FAILED,
                    "error": e.message[:300],
                    "progress": dataclasses.asdict(progress),
                    "pulled_at": timezone.now(),
                },
            )
            return invoice
        with transaction.atomic():
            invoice, _ = MicrosoftInvoice.objects.select_for_update().get_or_create(
                invoice_id=invoice_id
            )
            invoice.charges.all().delete()
            for charge in charges:
                charge.invoice = invoice
            MicrosoftCharge.objects.bulk_create(charges, batch_size=2000)
            invoice.status, invoice.error = MicrosoftInvoice.Status.PULLED, ""
            invoice.lines, invoice.unknown_lines = len(charges), unknown
            invoice.billing_period_start = period_start or invoice.billing_period_start
            invoice.billing_period_end = period_end or invoice.billing_period_end
            invoice.progress, invoice.pulled_at = dataclasses.asdict(progress), timezone.now()
            invoice.save()
            audit(
                actor=None,
                reseller=None,
                obj=invoice,
                action="billing.reconciliation.invoice_pulled",
                data={"invoice": invoice_id, "lines": len(charges), "unknown": unknown},
            )
    return invoice


def _charge(line: dict, position: int, ref: tuple, start: date) -> MicrosoftCharge:
    subscription_id, customer_id, reseller_id = ref

    def text(name: str, limit: int) -> str:
        return str(_field(line, name) or "")[:limit]

    return MicrosoftCharge(
        reseller_id=reseller_id,
        customer_id=customer_id,
        subscription_id=subscription_id,
        position=position,
        order_id=text("OrderId", 100),
        product_id=text("ProductId", 64),
        sku_id=text("SkuId", 64),
        availability_id=text("AvailabilityId", 64),
        sku_name=text("SkuName", 200),
        charge_type=text("ChargeType", 100),
        term_and_billing_cycle=text("TermAndBillingCycle", 100),
        charge_start=start,
        charge_end=graph_billing.as_date(_field(line, "ChargeEndDate")),
        quantity=_decimal(_field(line, "Quantity")),
        unit_price=_decimal(_field(line, "UnitPrice")),
        subtotal=_decimal(_field(line, "Subtotal")),
        currency=text("Currency", 3),
    )


def billed_reconciliation_pull_due(*, today: date) -> list[MicrosoftInvoice]:
    """Beat, daily: pull the billed reconciliation of every invoice of Microsoft's issued in
    the last 45 days that has not been pulled yet (or whose pull failed)."""
    source = graph_billing.get_graph_billing()
    pulled = []
    for invoice in source.invoices_out(today - timedelta(days=45)):
        with scopes_disabled():
            done = MicrosoftInvoice.objects.filter(
                invoice_id=invoice.id, status=MicrosoftInvoice.Status.PULLED
            ).exists()
        if not done:
            pulled.append(
                billed_reconciliation_pull(
                    invoice_id=invoice.id,
                    period_start=invoice.period_start,
                    period_end=invoice.period_end,
                )
            )
    return pulled
