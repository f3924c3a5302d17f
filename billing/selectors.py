from datetime import date
from operator import itemgetter

from celery.result import AsyncResult
from django.db.models import Case, F, Max, Min, Q, Sum, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import ledger
from billing.models import (
    BillingCalendar,
    BillingLine,
    BillingRun,
    CreditNote,
    Invoice,
    Statement,
    UsageImport,
    UsageLine,
    UsageSummary,
)
from billing.periods import Period, billing_period
from billing.reports import usage_month


def calendar_overrides() -> dict[str, int]:
    """Country code → period start day, as operations set it in the admin (one query)."""
    return dict(BillingCalendar.objects.values_list("country", "period_start_day"))


def reseller_period(reseller, on_date: date, *, overrides: dict[str, int] | None = None) -> Period:
    """The billing period of `reseller` (by its country) containing `on_date`. US and CA are
    fixed; other countries use the admin's BillingCalendar (pass `overrides` from
    `calendar_overrides()` to avoid a query per reseller in loops)."""
    if overrides is None:
        overrides = calendar_overrides()
    return billing_period(reseller.country, on_date, overrides=overrides)


# --- usage import -----------------------------------------------------------------------

def usage_imports_of(reseller):
    """The reseller's own imports (operations imports have no reseller and never show)."""
    return UsageImport.objects.filter(reseller=reseller).select_related("uploaded_by")


def usage_import_get(*, member, usage_import_id: int) -> UsageImport:
    return get_object_or_404(UsageImport.objects.filter(reseller=member.reseller),
                             pk=usage_import_id)


def ops_usage_imports():
    """Every import, operations' and resellers' (staff only, unscoped)."""
    with scopes_disabled():
        return UsageImport.objects.select_related("uploaded_by", "reseller")


def ops_usage_import_get(usage_import_id: int) -> UsageImport:
    with scopes_disabled():
        return get_object_or_404(UsageImport.objects.select_related("reseller"),
                                 pk=usage_import_id)


def usage_import_marketplace_lines(usage_import: UsageImport, *, limit: int = 50):
    """Marketplace one-time charges of the import (billed on a separate invoice)."""
    with scopes_disabled():
        return list(UsageLine.objects.filter(usage_import=usage_import, is_marketplace=True)
                    .select_related("customer").order_by("usage_date", "id")[:limit])


def task_state(usage_import: UsageImport) -> str:
    """The Celery state of the import's task while it runs ("" when unknown)."""
    if usage_import.is_finished or not usage_import.task_id:
        return ""
    try:
        return AsyncResult(usage_import.task_id).state
    except Exception:  # result backend unreachable: the row's status still tells the story
        return ""
# Billing runs, ledger, invoices (reads; tenant-scoped unless named ops_*)

def ledger_inputs(reseller, period: Period):
    """(charges, usage) of `reseller` for `period`, as the pure ledger's inputs, summed in the
    database (a constant number of queries, rows per ledger key rather than per event or usage
    line): charge events dated in the period per (subscription, kind, currency), and
    non-marketplace Azure plan usage of the previous calendar month per (subscription,
    currency), unrounded, with the price-book rules that price it."""
    from subscriptions.models import ChargeEvent, PriceBook, PriceRule, Subscription
    from subscriptions.selectors import _as_rule

    in_period = Q(charge_date__range=(period.start, period.end))
    # Charges that arrived after an earlier period was finalized (dated in it or before) are
    # billed once, here, as one adjustment line per subscription.
    last_final = (BillingRun.objects.filter(reseller=reseller,
                                            status=BillingRun.Status.FINALIZED,
                                            period_start__lt=period.start)
                  .order_by("-period_start").first())
    late = (Q(charge_date__lte=last_final.period_end, created_at__gt=last_final.finalized_at)
            if last_final else Q(pk__in=[]))
    adjustment = BillingLine.Kind.ADJUSTMENT.value
    sums = (ChargeEvent.objects.filter(in_period | late, reseller=reseller)
            .values("subscription_id", "customer_id", "currency",
                    line_kind=Case(When(charge_date__lt=period.start, then=Value(adjustment)),
                                   default=F("kind")),
                    offer=F("subscription__offer__name"), term=F("subscription__term"),
                    product_type=F("subscription__offer__product_type__name"))
            .annotate(qty=Sum("quantity"), cost=Sum("cost_amount"), price=Sum("price_amount"),
                      first_event=Min("pk"))
            # in the order of each group's first event: the ledger takes a key's customer from
            # its first input, as when it summed the events one by one
            .order_by("first_event"))
    charges = [ledger.ChargeInput(
        subscription_id=s["subscription_id"], customer_id=s["customer_id"], kind=s["line_kind"],
        description=f"{s['offer']} ({s['term']}) — {_KIND_LABELS[s['line_kind']]}",
        product_type=s["product_type"], quantity=s["qty"], cost_amount=s["cost"],
        price_amount=s["price"], currency=s["currency"]) for s in sums]

    month = usage_month(period)
    # From the month's UsageSummary rows (per subscription, meter and currency, written by the
    # import in the transaction that loaded the lines): exact sums of the non-marketplace
    # lines, without reading them again. Then the few subscriptions' offers in a second query.
    sums = sorted(UsageSummary.objects.filter(reseller=reseller, month=month.start)
                  .values("subscription_id", "currency")
                  .annotate(customer=Min("customer_id"), other_customer=Max("customer_id"),
                            cost=Sum("pre_tax_total"), qty=Sum("quantity"))
                  .order_by(), key=itemgetter("subscription_id", "currency"))
    if not sums:
        return charges, []
    for s in sums:
        if s["customer"] != s["other_customer"]:
            raise ledger.LedgerError(f"Usage of subscription {s['subscription_id']} names "
                                     "several customers; one line has one customer.")
    subs = {s["pk"]: s for s in Subscription.objects.filter(
        pk__in={s["subscription_id"] for s in sums}).values(
        "pk", "offer_id", "term", offer_name=F("offer__name"),
        product_type=F("offer__product_type__name"),
        product_type_pk=F("offer__product_type_id"))}
    books = list(PriceBook.objects.filter(reseller=reseller))
    rules: dict[int, list] = {b.pk: [] for b in books}
    for rule in PriceRule.objects.filter(reseller=reseller).select_related("offer",
                                                                           "product_type"):
        rules.setdefault(rule.book_id, []).append(_as_rule(rule))
    default = next((tuple(rules[b.pk]) for b in books if b.customer_id is None), ())
    by_customer = {b.customer_id: tuple(rules[b.pk]) for b in books if b.customer_id}
    usage = []
    for s in sums:
        sub = subs[s["subscription_id"]]
        usage.append(ledger.UsageInput(
            subscription_id=sub["pk"], customer_id=s["customer"],
            description=f"{sub['offer_name']} usage {month.start:%Y-%m}",
            product_type=sub["product_type"], offer_id=sub["offer_id"],
            product_type_id=sub["product_type_pk"], term=sub["term"], quantity=s["qty"],
            cost=s["cost"], currency=s["currency"], priced_on=period.start,
            customer_rules=by_customer.get(s["customer"], ()), default_rules=default))
    return charges, usage


_KIND_LABELS = dict(BillingLine.Kind.choices)


def current_period(reseller) -> Period:
    return reseller_period(reseller, timezone.now().date())


def invoices_of(reseller):
    return (Invoice.objects.filter(reseller=reseller)
            .order_by("-period_start", "currency", "pk"))


def invoice_get(*, member, invoice_id: int) -> Invoice:
    return get_object_or_404(invoices_of(member.reseller), pk=invoice_id)


def credit_note_get(*, member, credit_note_id: int) -> CreditNote:
    return get_object_or_404(CreditNote.objects.filter(reseller=member.reseller),
                             pk=credit_note_id)


def ledger_lines(reseller, period_start):
    return (BillingLine.objects.filter(reseller=reseller, period_start=period_start)
            .select_related("customer", "subscription")
            .order_by("customer__company_name", "customer_id", "product_type", "description",
                      "kind", "pk"))


def billed_periods(reseller) -> list[Period]:
    """Periods that have a billing run, newest first."""
    return [Period(s, e) for s, e in BillingRun.objects.filter(reseller=reseller)
            .order_by("-period_start").values_list("period_start", "period_end")]


def customer_statements(reseller, period_start) -> list[dict]:
    """What the reseller charges each end customer in the period (price amounts) from the
    ledger: [{customer, lines, totals: {currency: Totals}, document}], by customer name;
    `document` is the statement PDF's row once the period is finalized (else None)."""
    result: dict[int, dict] = {}
    for line in ledger_lines(reseller, period_start):
        entry = result.setdefault(line.customer_id, {"customer": line.customer, "lines": []})
        entry["lines"].append(line)
    documents = {s.customer_id: s for s in Statement.objects.filter(
        reseller=reseller, period_start=period_start, customer_id__in=list(result))}
    for customer_id, entry in result.items():
        entry["totals"] = ledger.totals(entry["lines"])
        entry["document"] = documents.get(customer_id)
    return list(result.values())


def customer_statement(*, member, customer_id: int, period_start) -> dict:
    from customers.models import Customer

    customer = get_object_or_404(Customer.objects.filter(reseller=member.reseller),
                                 pk=customer_id)
    lines = list(ledger_lines(member.reseller, period_start).filter(customer=customer))
    document = Statement.objects.filter(reseller=member.reseller, customer=customer,
                                        period_start=period_start).first()
    return {"customer": customer, "lines": lines, "totals": ledger.totals(lines),
            "document": document}


def statement_get(*, member, customer_id: int, period_start) -> Statement:
    """The statement PDF's row of one of the member's customers (404 for anyone else's)."""
    return get_object_or_404(Statement.objects.filter(reseller=member.reseller),
                             customer_id=customer_id, period_start=period_start)


def ops_runs():
    return BillingRun.objects.select_related("reseller").order_by("-period_start",
                                                                  "reseller__name")
