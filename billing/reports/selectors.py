"""Reads behind the billing reports. Every function takes an already tenant-filtered queryset
(from `billing.reports.filters`), aggregates in SQL and returns plain dict rows; pricing is resolved
in Python from rules loaded once (`books_for`), never with a query per row."""

import re
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Expression,
    ExpressionWrapper,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Round

from billing.reports import compute
from customers.models import Customer
from portal import frame
from portal.models import Reseller
from subscriptions.catalog.models import Offer, PriceRule, ProductType
from subscriptions.catalog.pricing import Rule, resolve_price
from subscriptions.models import ChargeEvent, SeatAssignment, Subscription

# Which product types each report covers (ProductType.code).
USAGE_TYPES = {"azure-legacy": ("azure-legacy",), "azure-plan": ("azure-plan",)}
LICENCE_TYPES = ("nce", "software-subscription", "reserved-instance", "perpetual-software")
SEAT_TYPES = ("nce", "software-subscription", "modern-workplace-legacy")


RULE_FIELDS = (
    "kind",
    "effective_from",
    "offer_id",
    "product_type_id",
    "percent",
    "term",
    "fixed_price",
    "currency",
    "id",
)


def books_for(reseller_ids) -> dict[int, compute.Books]:
    """Every price-book rule of these resellers, by reseller and book (one query: a book
    without rules prices like no book, so the rules with their book's customer suffice)."""
    out: dict[int, dict] = {}
    # plain values, no model instances: a report never shows a rule's label
    for rule in (
        PriceRule.objects.filter(reseller_id__in=reseller_ids)
        .order_by()
        .values("reseller_id", "book__customer_id", *RULE_FIELDS)
    ):
        books = out.setdefault(rule.pop("reseller_id"), {})
        books.setdefault(rule.pop("book__customer_id"), []).append(Rule(**rule))
    return {
        rid: compute.Books(
            default=tuple(books.pop(None, ())), by_customer={c: tuple(r) for c, r in books.items()}
        )
        for rid, books in out.items()
    }


def _linear(key: dict, customer_rules, default_rules) -> tuple[Decimal, Decimal]:
    """(mult, add) with price = cost × mult + add, read off the resolver at cost 0 and 1."""

    def price(cost):
        return resolve_price(
            cost=Decimal(cost),
            customer_rules=list(customer_rules),
            default_rules=list(default_rules),
            **key,
        ).price

    add = price(0)
    return price(1) - add, add


# Joins of summaries with customers or subscriptions name those rows' resellers too
# (`_own`): PostgreSQL then reads only the page's resellers' rows of those tables instead of
# every customer or subscription of the database.
def _own(summaries, relation: str, reseller_ids):
    return summaries.filter(**{f"{relation}__reseller_id__in": reseller_ids})


def month_keys(summaries, reseller_ids) -> tuple[list[str], set[tuple]]:
    """(meter categories, price combinations) of a month's usage summaries, in one query: the
    meter-category filter's choices, and every (reseller, offer, product type, term, currency)
    the month's rows may need a price for."""
    keys = set(
        _own(summaries, "subscription", reseller_ids)
        .order_by()
        .values_list(
            "meter_category",
            "reseller_id",
            "subscription__offer_id",
            "product_type_id",
            "subscription__term",
            "currency",
        )
        .distinct()
    )
    return sorted({k[0] for k in keys if k[0]}), {k[1:] for k in keys}


def price_table(combos, books: dict[int, compute.Books], priced_on: date) -> tuple:
    """The customer price of a usage row as `cost × mult + add` for each (customer or default
    book, offer, product type, term, currency) of `combos`: a percent rule gives (factor, 0), a
    fixed price (0, price), no rule (1, 0). Resolved through `resolve_price` itself; the
    customers with their own book are known from `books` (no query). With one combination (one
    reseller's Azure plan in one currency, the usual case) every row is of it: the conditions
    name the customers only, and the sums need no join with the subscriptions. With several
    resellers (operations) the row's reseller is matched first, then only its own conditions
    (one flat list tried every reseller's conditions on every row: 36 ms for 20 resellers'
    33,500 rows); a reseller with one combination needs no more than its customers either.
    Plain data (conditions, multipliers, additions): `_linear_prices` makes the expression."""
    single = len(combos) == 1
    per_reseller_combos = Counter(combo[0] for combo in combos)
    by_reseller: dict[int, tuple[list, list]] = {}
    for reseller_id, offer_id, type_id, term, currency in sorted(combos):
        book = books.get(reseller_id, compute.Books())
        cases, defaults = by_reseller.setdefault(reseller_id, ([], []))
        # a reseller's only combination is every row of that reseller's: nothing to match
        combo = (
            Q()
            if per_reseller_combos[reseller_id] == 1
            else Q(
                subscription__offer_id=offer_id,
                product_type_id=type_id,
                subscription__term=term,
                currency=currency,
            )
        )

        key = {
            "currency": currency,
            "offer_id": offer_id,
            "product_type_id": type_id,
            "term": term,
            "on": priced_on,
        }
        groups: dict[tuple, list[int]] = {}
        for customer_id in book.by_customer or {}:
            rules = book.for_customer(customer_id)
            if rules[0]:
                groups.setdefault(_linear(key, *rules), []).append(customer_id)
        for (mult, add), ids in groups.items():
            cases.append((combo & Q(customer_id__in=sorted(ids)), mult, add))
        defaults.append((combo, *_linear(key, (), book.default)))
    return single, by_reseller


def _linear_prices(table: tuple):
    """The price expression of `price_table`'s conditions and (mult, add) pairs: one CASE."""
    single, by_reseller = table

    def priced(mult, add):
        return Round(F("pre_tax_total") * Value(mult) + Value(add), 6)

    def case(conditions, default):
        whens = [When(condition, then=priced(mult, add)) for condition, mult, add in conditions]
        return Case(*whens, default=default, output_field=UNROUNDED) if whens else default

    def reseller_case(cases, defaults, otherwise):
        if len(defaults) == 1:  # its only combination: the default book prices the rest
            return case(cases, priced(*defaults[0][1:]))
        return case(cases + defaults, otherwise)

    unpriced = Round(F("pre_tax_total"), 6)
    if single:
        ((cases, defaults),) = by_reseller.values()
        return Round(reseller_case(cases, defaults, unpriced), 2)
    per_reseller = [
        When(reseller_id=reseller_id, then=reseller_case(cases, defaults, unpriced))
        for reseller_id, (cases, defaults) in by_reseller.items()
    ]
    return Round(Case(*per_reseller, default=unpriced, output_field=UNROUNDED), 2)


UNROUNDED = DecimalField(max_digits=28, decimal_places=10)
MONEY = DecimalField(max_digits=28, decimal_places=2)


def priced_usage(summaries, *, priced_on: date, reseller_ids, combos, table=None):
    """The usage summaries (`UsageSummary`: the SQL GROUP BY of the daily lines per customer,
    subscription and meter, kept by the import) with their rounded cost and customer price
    computed in SQL from the resellers' price-book rules, loaded once (`combos`: from
    `month_keys`; `table`: `price_table` of those rules, made here if not given)."""
    if table is None:
        table = price_table(combos, books_for(reseller_ids), priced_on)
    price = _linear_prices(table)
    return summaries.annotate(
        row_cost=Round(F("pre_tax_total"), 2, output_field=MONEY),
        row_price=ExpressionWrapper(price, output_field=MONEY),
    )


# A row's names that are not the summary's own columns, as the summary reaches them: what a
# page's keys are sorted by (`usage_page_keys`).
USAGE_SORTS: dict[str, F | Expression] = {
    "customer_name": F("customer__company_name"),
    "reseller_name": F("reseller__name"),
    "partner_center_id": F("subscription__partner_center_id"),
    "cost_raw": F("pre_tax_total"),
    "cost": F("row_cost"),
    "price": F("row_price"),
    "margin": F("row_price") - F("row_cost"),
}


def usage_rows(priced, reseller_ids):
    """The rows of `priced_usage` as a values queryset the table sorts and pages in the
    database (the last key, the row's id, makes the order total: pages neither repeat nor
    skip rows of equal values)."""
    return (
        _own(priced, "customer", reseller_ids)
        .order_by(
            "customer__company_name",
            "subscription__partner_center_id",
            "meter_category",
            "meter_name",
            "pk",
        )
        .values(
            "reseller_id",
            "customer_id",
            "subscription_id",
            "meter_id",
            "currency",
            "meter_category",
            "meter_sub_category",
            "meter_name",
            "unit_of_measure",
            "quantity",
            "lines",
            cost_raw=F("pre_tax_total"),
            cost=F("row_cost"),
            price=F("row_price"),
            margin=ExpressionWrapper(F("row_price") - F("row_cost"), output_field=MONEY),
            customer_name=F("customer__company_name"),
            reseller_name=F("reseller__name"),
            partner_center_id=F("subscription__partner_center_id"),
        )
    )


def usage_keys(priced, reseller_ids, order_by):
    """The ids of the rows of `usage_rows` sorted by `order_by` (that queryset's order: its
    names or the summary's fields, "-" for descending), read from the summaries with only the
    joins and sums that order needs: the sort of every row of the period (thousands) carries
    their ids alone, not the page's 20 columns and three joins (which the page then reads for
    its rows only)."""
    keys = []
    for name in order_by:
        descending, field = name.startswith("-"), name.lstrip("-")
        expression = USAGE_SORTS.get(field, F(field))
        keys.append(expression.desc() if descending else expression.asc())
    return _own(priced, "customer", reseller_ids).order_by(*keys).values_list("pk", flat=True)


class UsageSums:
    """Sums per currency and meter category of `priced_usage` (of the rounded rows), read once
    when first needed (one query, without the joins the rows' names need): added up, the
    table's totals; as they are, the chart's bars — so both are of the same filtered rows."""

    def __init__(self, priced, keep=None):
        self.priced, self.keep = priced, keep

    @cached_property
    def groups(self) -> list[dict]:
        def read():
            return list(
                self.priced.order_by("currency", "meter_category")
                .values("currency", "meter_category")
                .annotate(cost=Sum("row_cost"), price=Sum("row_price"), rows=Count("pk"))
            )

        # `keep(read)`: the groups kept for these rows (`Report.kept`), or read
        return self.keep(read) if self.keep else read()

    def totals(self) -> list[compute.Total]:
        return compute.group_totals(self.groups)

    def chart(self, *, show_money: bool) -> dict:
        return compute.category_chart(self.groups, show_money=show_money)


def daily_rows(lines, *, priced_on: date, books=None) -> list[dict]:
    """The daily lines themselves (drill-down of one subscription's meter), priced with
    `books(reseller_ids)` (by default read: `books_for`)."""
    rows = list(
        lines.order_by("usage_date", "pk").values(
            "pk",
            "reseller_id",
            "customer_id",
            "subscription_id",
            "usage_date",
            "meter_id",
            "meter_category",
            "meter_sub_category",
            "meter_name",
            "meter_region",
            "resource_group",
            "unit_of_measure",
            "quantity",
            "unit_price",
            "currency",
            cost_raw=F("billing_pre_tax_total"),
            customer_name=F("customer__company_name"),
            reseller_name=F("reseller__name"),
            partner_center_id=F("subscription__partner_center_id"),
            offer_id=F("subscription__offer_id"),
            product_type_id=F("subscription__offer__product_type_id"),
            term=F("subscription__term"),
        )
    )
    if rows:
        resellers = {r["reseller_id"] for r in rows}
        compute.price_usage_rows(rows, (books or books_for)(resellers), priced_on=priced_on)
    return rows


def licence_rows(charges):
    """Charge events of licence products (NCE, software subscriptions, RIs, perpetual) as a
    values queryset: the table sorts and pages it in SQL (a period may hold thousands)."""
    return charges.order_by("charge_date", "pk").values(
        "pk",
        "reseller_id",
        "customer_id",
        "subscription_id",
        "kind",
        "charge_date",
        "cycle_start",
        "cycle_end",
        "quantity",
        "billing_days",
        "cycle_days",
        "unit_cost",
        "unit_price",
        "currency",
        cost=F("cost_amount"),
        price=F("price_amount"),
        margin=F("price_amount") - F("cost_amount"),
        customer_name=F("customer__company_name"),
        reseller_name=F("reseller__name"),
        offer_name=F("subscription__offer__name"),
        partner_center_id=F("subscription__partner_center_id"),
        product_type=F("subscription__offer__product_type__name"),
        term=F("subscription__term"),
        billing_frequency=F("subscription__billing_frequency"),
    )


def charge_totals(charges) -> list[compute.Total]:
    """Totals per currency of charge events (amounts are already rounded): one query."""
    return [
        compute.Total(currency=t["currency"], cost=t["cost"], price=t["price"], rows=t["n"])
        for t in charges.order_by("currency")
        .values("currency")
        .annotate(cost=Sum("cost_amount"), price=Sum("price_amount"), n=Count("pk"))
    ]


# The groups `g`: the charge events `e` (the filtered queryset's own SQL) summed per group, in
# plain SQL (the ORM's filtered aggregates took longer to build than the query to run); the
# kinds of the cycle charges, the prorations and the credits are its first parameters
_SEAT_GROUPS = (
    "WITH g AS (SELECT e.reseller_id, e.customer_id, e.subscription_id, e.currency,"
    " COALESCE(SUM(e.price_amount) FILTER (WHERE e.kind = %s), 0) AS cycle_price,"
    " COALESCE(SUM(e.price_amount) FILTER (WHERE e.kind IN (%s, %s)), 0) AS proration_price,"
    " COALESCE(SUM(e.price_amount) FILTER (WHERE e.kind IN (%s, %s, %s)), 0) AS credit_price,"
    " SUM(e.cost_amount) AS cost, SUM(e.price_amount) AS price, COUNT(*) AS events"
    " FROM ({events}) e GROUP BY 1, 2, 3, 4)"
)
_SEAT_KINDS = (
    ChargeEvent.Kind.CYCLE,
    ChargeEvent.Kind.SEAT_INCREASE,
    ChargeEvent.Kind.SEAT_DECREASE,
    ChargeEvent.Kind.CANCEL,
    ChargeEvent.Kind.REFUND,
    ChargeEvent.Kind.TERM_CHANGE,
)


# Seat rows: the order (a column's sort first keeps it among equal values, as
# django-tables2's stable sort of a list of rows did), the keys of a row (its group) and its
# values as SQL over the groups `g`, their subscription `s`, customer `c`, reseller `r`, offer
# `o`, product type `t` and portal seat assignments `a`.
SEAT_ORDER = ("customer_name", "offer_name", "partner_center_id")
_SEAT_GROUP = ("reseller_id", "customer_id", "subscription_id", "currency")
_SEAT_SUMS = ("cycle_price", "proration_price", "credit_price", "cost", "price", "events")
_SEAT_VALUES = {
    **{key: f"g.{key}" for key in _SEAT_GROUP},
    "customer_name": "c.company_name",
    "reseller_name": "r.name",
    "offer_name": "o.name",
    "partner_center_id": "s.partner_center_id",
    "product_type": "t.name",
    "term": "s.term",
    "billing_frequency": "s.billing_frequency",
    "quantity": "s.quantity",
    "unit_cost": "s.unit_cost",
    "unit_price": "s.unit_price",
    "assigned": "{assigned}",
    **{key: f"g.{key}" for key in _SEAT_SUMS},
    "unused": "{greatest}(s.quantity - {assigned}, 0)",
    "margin": "g.price - g.cost",
}
# text values: ordered by code point, as Python compares strings, whatever the database's
# collation (SQLite compares code points already)
_SEAT_TEXT = frozenset(
    {
        "currency",
        "customer_name",
        "reseller_name",
        "offer_name",
        "partner_center_id",
        "product_type",
        "term",
        "billing_frequency",
    }
)
_SEAT_MONEY = frozenset({*_SEAT_SUMS[:-1], "margin", "unit_cost", "unit_price"})


# The joins of the groups `g` (in this order: an offer needs its subscription, a product type
# its offer).
_SEAT_JOINS = (
    ("s", "INNER JOIN {subscription} s ON s.id = g.subscription_id"),
    ("c", "INNER JOIN {customer} c ON c.id = g.customer_id"),
    ("r", "INNER JOIN {reseller} r ON r.id = g.reseller_id"),
    ("o", "INNER JOIN {offer} o ON o.id = s.offer_id"),
    ("t", "INNER JOIN {product_type} t ON t.id = o.product_type_id"),
)
_SEAT_NEEDS = {"o": "s", "t": "so"}
# the subscription's portal seat assignments, where every group's are needed (an export, a
# sort by them): a count per group, not a join with the counts (PostgreSQL misjudged that
# join's rows a hundredfold for 10,000 groups and compiled the query with JIT: one second)
_SEAT_ASSIGNED = (
    "(SELECT COUNT(*) FROM {seat_assignment} sa WHERE sa.subscription_id = g.subscription_id)"
)
# a page's values read after its rows are chosen (`p`: the page's groups with the values of
# their subscription, customer and offer), and their joins
_SEAT_LATE = {
    "reseller_name": "r.name",
    "product_type": "t.name",
    "assigned": "COALESCE(a.n, 0)",
    "unused": "{greatest}(p.quantity - COALESCE(a.n, 0), 0)",
}
_SEAT_PAGE_JOINS = (
    "INNER JOIN {reseller} r ON r.id = p.reseller_id"
    " INNER JOIN {product_type} t ON t.id = p.product_type_id"
    " LEFT JOIN (SELECT subscription_id, COUNT(*) AS n FROM {seat_assignment}"
    " WHERE subscription_id IN (SELECT subscription_id FROM p)"
    " GROUP BY subscription_id) a ON a.subscription_id = p.subscription_id"
)
_ALIAS = re.compile(r"\b([a-z])\.")


class _SeatSql:
    """The text of the seat statements on one database (its tables' quoted names, its
    GREATEST), written once: a page builds several statements of some twenty values each."""

    def __init__(self, vendor: str):
        names = frame.table_names(
            subscription=Subscription,
            customer=Customer,
            reseller=Reseller,
            offer=Offer,
            product_type=ProductType,
            seat_assignment=SeatAssignment,
        )
        greatest = "GREATEST" if vendor == "postgresql" else "MAX"
        assigned = _SEAT_ASSIGNED.format(**names)
        self.values = {
            k: v.format(greatest=greatest, assigned=assigned) for k, v in _SEAT_VALUES.items()
        }
        self.columns = ", ".join(f"{v} AS {k}" for k, v in self.values.items())
        self.joins = {alias: join.format(**names) for alias, join in _SEAT_JOINS}
        self.every_join = " ".join(self.joins.values())
        # a page: the values carried from the order's part, and those read for its rows
        self.carried = ", ".join(
            f"{v} AS {k}" for k, v in self.values.items() if k not in _SEAT_LATE
        )
        late = {k: v.format(greatest=greatest) for k, v in _SEAT_LATE.items()}
        self.picked = ", ".join(f"{late.get(k, f'p.{k}')} AS {k}" for k in _SEAT_VALUES)
        self.page_joins = _SEAT_PAGE_JOINS.format(**names)
        self.keys = ", ".join(f"g.{k}" for k in _SEAT_GROUP)
        self.collate = vendor == "postgresql"


_SEAT_SQL: dict[str, _SeatSql] = {}


def _seat_sql() -> _SeatSql:
    vendor = connection.vendor
    if vendor not in _SEAT_SQL:
        _SEAT_SQL[vendor] = _SeatSql(vendor)
    return _SEAT_SQL[vendor]


class SeatRows:
    """The rows of the seat report in SQL, sorted (`order_by`, keys "name" or "-name") and
    sliced (a page: LIMIT/OFFSET) there, like a values queryset: the period's charge events
    summed per subscription (and its customer, reseller, currency: the events' own) in a
    narrow group `g`. A page is read in two steps of one statement: the page's groups in
    order, with only the joins the order needs; then their names and the subscriptions' portal
    seat assignments, counted for the page's subscriptions only. Iterating reads every row
    (exports)."""

    model = None  # no model instances

    def __init__(self, charges, keys=(), *, shared: dict | None = None, keep=None):
        self.charges, self.keys = charges, tuple(keys)
        # shared by the sorted copies: the compiled groups, a page read with the totals
        self._shared = {} if shared is None else shared
        # keep(name, compute): every group's keys in an order, kept (`Report.kept`), or None
        self.keep = keep

    def order_by(self, *keys) -> "SeatRows":
        return SeatRows(self.charges, keys, shared=self._shared, keep=self.keep)

    def _groups(self) -> tuple[str, tuple]:
        if "groups" not in self._shared:
            events = self.charges.order_by().values(
                *_SEAT_GROUP, "kind", "cost_amount", "price_amount"
            )
            sql, params = events.query.sql_with_params()
            self._shared["groups"] = (
                _SEAT_GROUPS.format(events=sql),
                (*_SEAT_KINDS, *params),
            )
        return self._shared["groups"]

    def _order_terms(self) -> list[tuple[str, str]]:
        """(SQL value, ORDER BY term) of each key of the order."""
        texts = _seat_sql()
        terms = []
        for key in (*self.keys, *SEAT_ORDER, *_SEAT_GROUP):
            descending, name = key.startswith("-"), key.lstrip("-")
            value = texts.values[name]  # KeyError: not a row's value
            term = f'{value} COLLATE "C"' if texts.collate and name in _SEAT_TEXT else value
            # None before any value, as the list's sort put it
            terms.append(
                (value, f"{term} DESC NULLS LAST" if descending else f"{term} NULLS FIRST")
            )
        return terms

    @staticmethod
    def _joins(aliases) -> str:
        joins = _seat_sql().joins
        return " ".join(joins[alias] for alias, _ in _SEAT_JOINS if alias in aliases)

    @staticmethod
    def _order_joins(terms) -> set[str]:
        used = {"s", "c", "o"}  # the report's order (SEAT_ORDER) needs them always
        used |= {a for value, _ in terms for a in _ALIAS.findall(value)}
        return used | {n for a in list(used) for n in _SEAT_NEEDS.get(a, "")}

    def _ordered(self) -> list[tuple]:
        """Every group's keys (reseller, customer, subscription, currency) in the order, read
        with only the joins the order needs."""
        with_g, params = self._groups()
        terms = self._order_terms()
        order = ", ".join(term for _, term in terms)
        joins = self._joins(self._order_joins(terms))
        with connection.cursor() as cursor:
            cursor.execute(
                f"{with_g} SELECT {_seat_sql().keys} FROM g {joins} ORDER BY {order}",  # noqa: S608
                params,
            )
            return [tuple(row) for row in cursor.fetchall()]

    def _rows_of(self, keys: list[tuple]) -> list[dict]:
        """The rows of these groups, in this order: the charge events of their subscriptions
        only are summed (the condition on the groups' subscription reaches the events)."""
        if not keys:
            return []
        with_g, params = self._groups()
        texts = _seat_sql()
        ids = sorted({key[2] for key in keys})
        marks = ", ".join(["%s"] * len(ids))
        rows = self._fetch(
            f"{with_g} SELECT {texts.columns} FROM g {texts.every_join}"  # noqa: S608
            f" WHERE g.subscription_id IN ({marks})",
            (*params, *ids),
        )
        by_key = {tuple(row[k] for k in _SEAT_GROUP): row for row in rows}
        return [by_key[key] for key in keys if key in by_key]

    def _rows(self, limit: int | None = None, offset: int = 0) -> list[dict]:
        if limit is not None:
            read = self._shared.get(("page", self.keys, offset))  # with the totals
            if read is not None and limit <= read[0]:
                return read[1][:limit]
        if limit is not None and self.keep is not None:
            ordered = self.keep(f"seat-order {self.keys!r}", self._ordered)
            if ordered is not None:
                return self._rows_of(ordered[offset : offset + limit])
        if limit is not None:
            sql, params = self._page(limit, offset)
            return self._fetch(f"{sql} ORDER BY p.n", params)
        with_g, params = self._groups()
        texts = _seat_sql()
        order = ", ".join(term for _, term in self._order_terms())
        # every name in the text is this module's (tables, columns, sort keys checked against
        # _SEAT_VALUES); every value is a parameter
        return self._fetch(
            f"{with_g} SELECT {texts.columns} FROM g {texts.every_join} ORDER BY {order}",  # noqa: S608
            params,
        )

    def _page(self, limit: int, offset: int, extra: str = "") -> tuple[str, tuple]:
        """The statement of a page's rows in the order (`extra`: more columns), unordered:
        the page's groups sorted with only the joins the order needs, then their late values
        (each part planned on its own: one statement of eight joined relations spent more
        time planning than running)."""
        with_g, params = self._groups()
        texts = _seat_sql()
        terms = self._order_terms()
        order = ", ".join(term for _, term in terms)
        sql = (
            f"{with_g}, p AS MATERIALIZED (SELECT {texts.carried},"  # noqa: S608
            f" o.product_type_id AS product_type_id, ROW_NUMBER() OVER (ORDER BY {order})"
            f" AS n FROM g {self._joins(self._order_joins(terms))} ORDER BY {order}"
            " LIMIT %s OFFSET %s)"
            f" SELECT {texts.picked}{extra} FROM p {texts.page_joins}"
        )
        return sql, (*params, limit, offset)

    @staticmethod
    def _fetch(sql: str, params) -> list[dict]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            names = [c[0] for c in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if connection.vendor != "postgresql":  # SQLite: numbers without the ORM's converters
            for row in rows:
                for key in _SEAT_MONEY:
                    if row[key] is not None and not isinstance(row[key], Decimal):
                        row[key] = Decimal(str(row[key]))
        return rows

    def __iter__(self):
        return iter(self._rows())

    def __getitem__(self, key):
        if isinstance(key, slice):
            if key.step is not None or (key.start or 0) < 0 or (key.stop or 0) < 0:
                raise ValueError("Only a forward slice of the rows.")
            start = key.start or 0
            if key.stop is None:
                return self._rows(None)[start:]
            return self._rows(max(key.stop - start, 0), start)
        rows = self._rows(1, key)
        if not rows:
            raise IndexError(key)
        return rows[0]

    def count(self) -> int:
        with_g, params = self._groups()
        with connection.cursor() as cursor:
            cursor.execute(f"{with_g} SELECT COUNT(*) FROM g", params)  # noqa: S608
            return cursor.fetchone()[0]

    def read_with_totals(self, limit: int, offset: int) -> None:
        """Asks the totals, when they are read, to read this page of the rows in this order
        with them, in one statement (a first visit after a change needs both)."""
        self._shared["page asked"] = (self.keys, limit, offset)

    def totals(self) -> list[compute.Total]:
        """Per currency: the sums of the rows' cost and price (the events' rounded amounts)
        and the number of rows, in one query that builds no row, or with the page asked
        (`read_with_totals`)."""
        asked = self._shared.pop("page asked", None)
        if asked is not None:
            keys, limit, offset = asked
            return self.order_by(*keys)._totals_and_page(limit, offset)
        with_g, params = self._groups()
        with connection.cursor() as cursor:
            cursor.execute(
                f"{with_g} SELECT currency, SUM(cost), SUM(price), COUNT(*) FROM g"  # noqa: S608
                " GROUP BY currency ORDER BY currency",
                params,
            )
            return [_total(*row) for row in cursor.fetchall()]

    def _totals_and_page(self, limit: int, offset: int) -> list[compute.Total]:
        """The totals, and the page's rows kept for `_rows`, in one statement: the page's rows
        and below them the totals' rows, each empty in the other's columns."""
        sql, params = self._page(limit, offset, extra=_TOTALS_EMPTY)
        rows = self._fetch(f"{sql} UNION ALL {_TOTALS}", params)
        page = sorted((r for r in rows if r["t_currency"] is None), key=lambda r: r["n"])
        self._shared[("page", self.keys, offset)] = (
            limit,
            [{k: r[k] for k in _SEAT_VALUES} for r in page],
        )
        totals = (r for r in rows if r["t_currency"] is not None)
        return sorted(
            (_total(r["t_currency"], r["t_cost"], r["t_price"], r["t_rows"]) for r in totals),
            key=lambda t: t.currency,
        )


# the totals' columns of a page read with them (`SeatRows._totals_and_page`), empty in the
# page's rows; the totals' rows, empty in the page's columns and its row number
_TOTALS_EMPTY = ", p.n AS n, NULL AS t_currency, NULL AS t_cost, NULL AS t_price, NULL AS t_rows"
_TOTALS = (
    "SELECT "
    + "NULL, " * (len(_SEAT_VALUES) + 1)  # noqa: S608 — constants
    + "currency, SUM(cost), SUM(price), COUNT(*) FROM g GROUP BY currency"
)


def _total(currency, cost, price, rows) -> compute.Total:
    return compute.Total(
        currency=currency, cost=compute.to_cents(cost), price=compute.to_cents(price), rows=rows
    )


def seat_rows(charges) -> SeatRows:
    """Seat products per subscription for the period: quantity, assigned, unused, unit cost and
    price, cycle charges, prorations and credits (sums of the period's charge events), in the
    report's order: `SeatRows`, which the table sorts and pages in SQL."""
    return SeatRows(charges)
