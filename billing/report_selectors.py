"""Reads behind the billing reports. Every function takes an already tenant-filtered queryset
(from `billing.filters`), aggregates in SQL and returns plain dict rows; pricing is resolved
in Python from rules loaded once (`books_for`), never with a query per row."""

from datetime import date

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from billing import reports
from subscriptions.models import ChargeEvent, PriceBook, PriceRule, SeatAssignment
from subscriptions.selectors import _as_rule

# Which product types each report covers (ProductType.code).
USAGE_TYPES = {"azure-legacy": ("azure-legacy",), "azure-plan": ("azure-plan",)}
LICENCE_TYPES = ("nce", "software-subscription", "reserved-instance", "perpetual-software")
SEAT_TYPES = ("nce", "software-subscription", "modern-workplace-legacy")


def books_for(reseller_ids) -> dict[int, reports.Books]:
    """Every price-book rule of these resellers, by reseller (two queries)."""
    books = list(PriceBook.objects.filter(reseller_id__in=reseller_ids)
                 .values("pk", "reseller_id", "customer_id"))
    rules: dict[int, list] = {b["pk"]: [] for b in books}
    for rule in PriceRule.objects.filter(reseller_id__in=reseller_ids):
        rules.setdefault(rule.book_id, []).append(_as_rule(rule))
    out: dict[int, dict] = {}
    for b in books:
        entry = out.setdefault(b["reseller_id"], {"default": (), "by_customer": {}})
        if b["customer_id"] is None:
            entry["default"] = tuple(rules[b["pk"]])
        else:
            entry["by_customer"][b["customer_id"]] = tuple(rules[b["pk"]])
    return {rid: reports.Books(default=e["default"], by_customer=e["by_customer"])
            for rid, e in out.items()}


def usage_rows(summaries, *, priced_on: date) -> list[dict]:
    """Usage per customer, subscription and meter (a GROUP BY over `UsageSummary`, the
    monthly sums of the daily lines), priced."""
    rows = list(summaries.order_by().values(
        "reseller_id", "customer_id", "subscription_id", "meter_id", "currency",
        "meter_category", "meter_sub_category", "meter_name", "unit_of_measure",
        "product_type_id", customer_name=F("customer__company_name"),
        reseller_name=F("reseller__name"),
        partner_center_id=F("subscription__partner_center_id"),
        offer_id=F("subscription__offer_id"), term=F("subscription__term"),
    ).annotate(qty=Sum("quantity"), cost_raw=Sum("cost"), lines=Sum("lines")))
    for row in rows:
        row["quantity"] = row.pop("qty")
    _price(rows, priced_on)
    rows.sort(key=lambda r: (r["customer_name"], r["partner_center_id"], r["meter_category"],
                             r["meter_name"]))
    return rows


def daily_rows(lines, *, priced_on: date) -> list[dict]:
    """The daily lines themselves (drill-down of one subscription's meter), priced."""
    rows = list(lines.order_by("usage_date", "pk").values(
        "pk", "reseller_id", "customer_id", "subscription_id", "usage_date", "meter_id",
        "meter_category", "meter_sub_category", "meter_name", "meter_region", "resource_group",
        "unit_of_measure", "quantity", "unit_price", "currency",
        cost_raw=F("billing_pre_tax_total"), customer_name=F("customer__company_name"),
        reseller_name=F("reseller__name"),
        partner_center_id=F("subscription__partner_center_id"),
        offer_id=F("subscription__offer_id"),
        product_type_id=F("subscription__offer__product_type_id"),
        term=F("subscription__term")))
    _price(rows, priced_on)
    return rows


def licence_rows(charges):
    """Charge events of licence products (NCE, software subscriptions, RIs, perpetual) as a
    values queryset: the table sorts and pages it in SQL (a period may hold thousands)."""
    return charges.order_by("charge_date", "pk").values(
        "pk", "reseller_id", "customer_id", "subscription_id", "kind", "charge_date",
        "cycle_start", "cycle_end", "quantity", "billing_days", "cycle_days", "unit_cost",
        "unit_price", "currency", cost=F("cost_amount"), price=F("price_amount"),
        margin=F("price_amount") - F("cost_amount"),
        customer_name=F("customer__company_name"), reseller_name=F("reseller__name"),
        offer_name=F("subscription__offer__name"),
        partner_center_id=F("subscription__partner_center_id"),
        product_type=F("subscription__offer__product_type__name"),
        term=F("subscription__term"), billing_frequency=F("subscription__billing_frequency"))


def charge_totals(charges) -> list[reports.Total]:
    """Totals per currency of charge events (amounts are already rounded): one query."""
    return [reports.Total(currency=t["currency"], cost=t["cost"], price=t["price"],
                          rows=t["n"])
            for t in charges.order_by("currency").values("currency").annotate(
                cost=Sum("cost_amount"), price=Sum("price_amount"), n=Count("pk"))]


_PRORATION = Q(kind__in=[ChargeEvent.Kind.SEAT_INCREASE, ChargeEvent.Kind.SEAT_DECREASE])
_CREDIT = Q(kind__in=[ChargeEvent.Kind.CANCEL, ChargeEvent.Kind.REFUND])


def seat_rows(charges) -> list[dict]:
    """Seat products per subscription for the period: quantity, assigned, unused, unit cost and
    price, cycle charges, prorations and credits (sums of the period's charge events)."""
    assigned = (SeatAssignment.objects.filter(subscription_id=OuterRef("subscription_id"))
                .order_by().values("subscription_id").annotate(n=Count("pk")).values("n"))
    rows = list(charges.order_by().values(
        "reseller_id", "customer_id", "subscription_id", "currency",
        customer_name=F("customer__company_name"), reseller_name=F("reseller__name"),
        offer_name=F("subscription__offer__name"),
        partner_center_id=F("subscription__partner_center_id"),
        product_type=F("subscription__offer__product_type__name"),
        term=F("subscription__term"), billing_frequency=F("subscription__billing_frequency"),
        seats=F("subscription__quantity"), seat_cost=F("subscription__unit_cost"),
        seat_price=F("subscription__unit_price"),
    ).annotate(
        assigned=Coalesce(Subquery(assigned, output_field=IntegerField()), 0),
        cycle_price=Coalesce(Sum("price_amount", filter=Q(kind=ChargeEvent.Kind.CYCLE)),
                             reports.ZERO),
        proration_price=Coalesce(Sum("price_amount", filter=_PRORATION), reports.ZERO),
        credit_price=Coalesce(Sum("price_amount", filter=_CREDIT), reports.ZERO),
        cost=Sum("cost_amount"), price=Sum("price_amount"), events=Count("pk")))
    for row in rows:
        row["quantity"], row["unit_cost"], row["unit_price"] = (
            row.pop("seats"), row.pop("seat_cost"), row.pop("seat_price"))
        row["unused"] = max(row["quantity"] - row["assigned"], 0)
        row["margin"] = row["price"] - row["cost"]
    rows.sort(key=lambda r: (r["customer_name"], r["offer_name"], r["partner_center_id"]))
    return rows


def meter_categories(lines) -> list[str]:
    return sorted(c for c in lines.order_by().values_list("meter_category", flat=True)
                  .distinct() if c)


def _price(rows: list[dict], priced_on: date) -> None:
    if rows:
        books = books_for({r["reseller_id"] for r in rows})
        reports.price_usage_rows(rows, books, priced_on=priced_on)
