"""Three-way reconciliation of a billing period (DESIGN "Billing periods"; issue 23).

For the billing periods starting on one day (every reseller whose period starts then):

1. Microsoft ↔ the portal's cost ledger: Microsoft's rated Azure plan usage (the imported daily
   rated usage lines, summed per subscription and usage month) against the ledger's usage lines
   of the runs that bill that month. Licence-based charges come from Microsoft's invoice
   reconciliation, not from usage, and are not part of this leg.
2. The ledger ↔ the reseller invoices: every ledger line of a finalized run against the line
   its invoice stored.
3. The reseller invoices ↔ the customer statements: every customer charged on a finalized
   invoice has its statement (statements show the ledger's price amounts).

The lines of each leg are compared by the pure `match.match`, with the neighbouring periods on
both sides so that a charge put in the wrong period is told from a missing one. A run replaces
the period's differences in one transaction: running it again gives the same result, and a
difference that was fixed is gone.
"""

from collections import Counter
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.models import BillingLine, BillingRun, InvoiceLine, Statement
from billing.periods import Period, usage_label, usage_period
from billing.reconciliation import match
from billing.reconciliation.models import Difference, ReconciliationRun
from billing.usage.models import UsageLine
from portal.audit import audit
from portal.permissions import require_staff
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
            *_invoice_leg(run, runs, counts),
            *_statement_leg(run, runs),
        ]
        run.differences.all().delete()
        Difference.objects.bulk_create(differences, batch_size=1000)
        run.period_end, run.started_by, run.finished_at = period.end, user, timezone.now()
        run.microsoft_lines = counts["microsoft"]
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
