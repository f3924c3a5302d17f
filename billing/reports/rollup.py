"""Operations' usage reports of every reseller at once: one row per reseller and currency
(its Azure usage; its licence charges), the totals and the chart of every reseller's rows, and a
link to each reseller's own report for the rows themselves.

A distributor's month is every reseller's priced usage: summed on each visit it grows with the
distributor (33,500 usage rows of 20 resellers: ≈200 ms). So each reseller's sums are kept in
the cache under that reseller's state of the data and the state of the data of no reseller
(catalog, calendars): `ReportDataChange`, which PostgreSQL triggers raise in the same
transaction as each change (billing/reports/cache.py says why that is exact). A visit sums
again only the resellers whose data changed since, in one query; on SQLite (make run) every
visit sums them all.
"""

from collections import defaultdict

from django.db.models import Count, Sum

from billing.periods import Period, usage_month
from billing.reports import cache as report_cache
from billing.reports import compute
from billing.reports import selectors as report_selectors
from billing.usage.models import UsageSummary
from subscriptions.models import ChargeEvent


def reseller_sums(report, periods: dict[int, Period]) -> dict[int, dict]:
    """{reseller id: {"usage": groups per currency and meter category, "licences": sums per
    currency}} of each reseller's period (`periods`), for every reseller of the report."""
    usage_types = tuple(report.type_ids(report.usage_types))
    licence_types = tuple(report.type_ids(report.charge_types))
    found = report_cache.states()
    if found is None:  # nothing may be kept
        return _sums_of(periods, usage_types, licence_types)
    database, states = found
    keys = {
        rid: report_cache.key(
            "rollup",
            database,
            rid,
            states.get(rid, 0),
            states.get(None, 0),
            period,
            usage_types,
            licence_types,
        )
        for rid, period in periods.items()
    }
    kept = report_cache.get_many(keys.values())
    out = {rid: kept[key] for rid, key in keys.items() if key in kept}
    missing = {rid: period for rid, period in periods.items() if rid not in out}
    if missing:
        summed = _sums_of(missing, usage_types, licence_types)
        report_cache.set_many({keys[rid]: summed[rid] for rid in missing})
        out.update(summed)
    return out


def _sums_of(periods: dict[int, Period], usage_types, licence_types) -> dict[int, dict]:
    """The sums of these resellers read afresh: one read per distinct period (a calendar each:
    US and most countries share one, Canada has its own)."""
    by_period: dict[Period, list[int]] = defaultdict(list)
    for rid, period in periods.items():
        by_period[period].append(rid)
    out: dict[int, dict] = {}
    for period, reseller_ids in by_period.items():
        out.update(_sums(reseller_ids, period, usage_types, licence_types))
    return out


def _sums(reseller_ids, period: Period, usage_types, licence_types) -> dict[int, dict]:
    """The sums of these resellers, read afresh: the usage priced as the reseller's own report
    prices it (billing/reports/selectors.py), in two queries and the rules' one."""
    out: dict[int, dict] = {rid: {"usage": [], "licences": []} for rid in reseller_ids}
    summaries = UsageSummary.objects.filter(
        reseller_id__in=reseller_ids,
        product_type_id__in=usage_types,
        month=usage_month(period).start,
    )
    _, combos = report_selectors.month_keys(summaries, reseller_ids)
    if combos:
        priced = report_selectors.priced_usage(
            summaries, priced_on=period.start, reseller_ids=reseller_ids, combos=combos
        )
        for group in (
            priced.order_by()
            .values("reseller_id", "currency", "meter_category")
            .annotate(cost=Sum("row_cost"), price=Sum("row_price"), rows=Count("pk"))
        ):
            out[group.pop("reseller_id")]["usage"].append(group)
    for charges in (
        ChargeEvent.objects.filter(
            reseller_id__in=reseller_ids,
            subscription__reseller_id__in=reseller_ids,
            subscription__offer__product_type_id__in=licence_types,
            charge_date__range=(period.start, period.end),
        )
        .order_by()
        .values("reseller_id", "currency")
        .annotate(cost=Sum("cost_amount"), price=Sum("price_amount"), rows=Count("pk"))
    ):
        out[charges.pop("reseller_id")]["licences"].append(charges)
    return out


def reseller_rows(
    sums: dict[int, dict], names: dict[int, str], periods: dict[int, Period], part: str, category=""
):
    """One row per reseller and currency of `part` ("usage" or "licences"), by reseller name,
    with the reseller's own period; the usage of one meter category only if `category` is
    given."""
    rows = []
    for rid, of in sums.items():
        per_currency: dict[str, dict] = defaultdict(
            lambda: {"cost": compute.ZERO, "price": compute.ZERO, "rows": 0}
        )
        for group in of[part]:
            if category and group.get("meter_category") != category:
                continue
            row = per_currency[group["currency"]]
            row["cost"] += compute.to_cents(group["cost"])
            row["price"] += compute.to_cents(group["price"])
            row["rows"] += group["rows"]
        for currency, row in per_currency.items():
            rows.append(
                {
                    "reseller_id": rid,
                    "reseller_name": names[rid],
                    "period": periods[rid].start.isoformat(),
                    "currency": currency,
                    **row,
                    "margin": row["price"] - row["cost"],
                }
            )
    rows.sort(key=lambda r: (r["reseller_name"], r["currency"]))
    return rows


def usage_groups(sums: dict[int, dict], category="") -> list[dict]:
    """Every reseller's usage groups, per currency and meter category (totals and chart)."""
    merged: dict[tuple, dict] = {}
    for of in sums.values():
        for group in of["usage"]:
            if category and group["meter_category"] != category:
                continue
            key = (group["currency"], group["meter_category"])
            into = merged.setdefault(
                key,
                {
                    "currency": key[0],
                    "meter_category": key[1],
                    "cost": compute.ZERO,
                    "price": compute.ZERO,
                    "rows": 0,
                },
            )
            into["cost"] += compute.to_cents(group["cost"])
            into["price"] += compute.to_cents(group["price"])
            into["rows"] += group["rows"]
    return [merged[k] for k in sorted(merged)]


def meter_categories(sums: dict[int, dict]) -> list[str]:
    return sorted({g["meter_category"] for of in sums.values() for g in of["usage"]} - {""})
