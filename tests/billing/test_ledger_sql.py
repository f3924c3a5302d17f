"""The billing run's set-based path (`services._recompute_in_sql`: charge lines summed, rounded,
described and diffed in one PostgreSQL statement) writes exactly what the pure ledger's path
writes (`_recompute_in_python`: `ledger.compute_lines` + `ledger.diff`), through every change a
draft goes through, and refuses what the pure ledger refuses with its own message."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from billing import services
from billing.ledger import LedgerError
from billing.models import BillingLine, BillingRun, Invoice, TaxRate
from subscriptions.catalog.models import PriceRule, ProductType
from subscriptions.models import ChargeEvent
from tests.factories import (
    CustomerFactory,
    LedgerSubscriptionFactory,
    OfferFactory,
    PriceBookFactory,
    PriceRuleFactory,
    ResellerFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's"
    ),
]

JUNE = dt.date(2026, 6, 1)


def written():
    """Every ledger line (with its time stamp) and invoice, without database ids."""
    with scopes_disabled():
        lines = sorted(
            BillingLine.objects.values_list(
                "reseller_id",
                "run_id",
                "period_start",
                "period_end",
                "customer_id",
                "subscription_id",
                "kind",
                "product_type",
                "description",
                "quantity",
                "cost_amount",
                "price_amount",
                "currency",
            )
        )
        invoices = sorted(
            Invoice.objects.values_list(
                "reseller_id",
                "run_id",
                "period_start",
                "period_end",
                "currency",
                "status",
                "number",
                "subtotal",
                "tax_rate",
                "tax_amount",
                "total",
                "tax_lines",
                "tax_note",
                "pdf",
                "detail_pdf",
                "finalized_at",
            )
        )
    return lines, invoices


def stamps():
    with scopes_disabled():
        return dict(BillingLine.objects.values_list("pk", "updated_at"))


def compute_both(monkeypatch, run_ids):
    """Compute the runs by the pure path, keep what it wrote, delete it, compute them by the
    SQL path: (python's rows, sql's rows). Then both agree on the next change as well."""
    monkeypatch.setattr(services, "FAST_INSERT", False)
    services.billing_runs_compute(run_ids=run_ids)
    by_python = written()
    with scopes_disabled():
        Invoice.objects.filter(run_id__in=run_ids).delete()
        BillingLine.objects.filter(run_id__in=run_ids).delete()
    monkeypatch.setattr(services, "FAST_INSERT", True)
    services.billing_runs_compute(run_ids=run_ids)
    return by_python, written()


def open_runs(ops, resellers):
    with scopes_disabled():
        return [
            run.pk
            for run in services.billing_runs_open(user=ops, on_date=JUNE, resellers=resellers)
        ]


def test_sql_path_writes_what_the_pure_ledger_writes(
    monkeypatch, ops, us_reseller, ca_reseller, charge_factory, usage_factory
):
    # seat charges summed per (subscription, kind): credits, several events of one key
    first = charge_factory(us_reseller, cost="100.00", price="120.00")
    sub = first.subscription
    for on, kind, cost, price, qty in (
        (dt.date(2026, 6, 9), "seat_increase", "5.55", "6.66", 1),
        (dt.date(2026, 6, 19), "seat_increase", "1.01", "1.21", 2),
        (dt.date(2026, 6, 25), "seat_decrease", "-3.33", "-3.99", -1),
    ):
        charge_factory(
            us_reseller, subscription=sub, kind=kind, on=on, cost=cost, price=price, quantity=qty
        )
    # a key whose events name two customers: the line takes its first event's (here the one
    # with the higher id)
    transferred = charge_factory(us_reseller, kind="seat_increase", on=dt.date(2026, 6, 3))
    charge_factory(
        us_reseller,
        subscription=transferred.subscription,
        kind="seat_increase",
        on=dt.date(2026, 6, 4),
        cost="7.00",
        price="8.00",
    )
    new_customer = CustomerFactory(reseller=us_reseller)
    with scopes_disabled():
        ChargeEvent.objects.filter(pk=transferred.pk).update(customer=new_customer)
    # Azure plan usage, 10 decimals, priced by the default book (+12 %) and a customer's own
    # book (−3 %): 10.1250000005 → cost 10.13, price 10.1250000005 × 1.12 → 11.34
    azure = charge_factory(us_reseller, cost="0.00", price="0.00").subscription
    usage_factory(azure, on=dt.date(2026, 5, 3), cost="10.1234567890")
    usage_factory(azure, on=dt.date(2026, 5, 4), cost="0.0015432115")
    book = PriceBookFactory(reseller=us_reseller, customer=None)
    PriceRuleFactory(book=book, kind="markup", percent=D("12"), effective_from=dt.date(2026, 1, 1))
    own = charge_factory(us_reseller, cost="0.00", price="0.00").subscription
    usage_factory(own, on=dt.date(2026, 5, 5), cost="3.3333333333")
    own_book = PriceBookFactory(reseller=us_reseller, customer=own.customer)
    PriceRuleFactory(
        book=own_book, kind="discount", percent=D("3"), effective_from=dt.date(2026, 1, 1)
    )
    # a Canadian reseller in the same batch: another period (May 20 – June 19), CAD
    charge_factory(ca_reseller, on=dt.date(2026, 6, 2), cost="44.44", price="55.55")
    other = ResellerFactory(name="Gamma Cloud")
    charge_factory(other, cost="-12.34", price="-15.00", kind="cancel")

    for country, name, rate in (("US", "Sales tax", "7.25"), ("CA", "GST", "5")):
        TaxRate.objects.create(
            country=country, name=name, rate=D(rate), effective_from=dt.date(2020, 1, 1)
        )

    runs = open_runs(ops, [us_reseller, ca_reseller, other])
    by_python, by_sql = compute_both(monkeypatch, runs)
    assert by_sql == by_python
    lines, invoices = by_sql
    assert all(invoice[11] for invoice in invoices)  # tax lines (JSON) compared too
    us_lines = {(x[5], x[6]): x for x in lines if x[0] == us_reseller.pk}
    assert us_lines[(sub.pk, "seat_increase")][9:12] == (D(3), D("6.56"), D("7.87"))
    assert us_lines[(transferred.subscription_id, "seat_increase")][4] == new_customer.pk
    assert us_lines[(azure.pk, "usage")][10:12] == (D("10.13"), D("11.34"))
    # 3.3333333333 × 0.97 = 3.233333333301 → 3.23
    assert us_lines[(own.pk, "usage")][10:12] == (D("3.33"), D("3.23"))

    # the draft changes: one charge more, one gone, one changed; by SQL only those lines are
    # written, and the pure ledger's diff then finds nothing left to change
    before = stamps()
    charge_factory(us_reseller, cost="9.99", price="11.11", kind="one_time")
    with scopes_disabled():
        ChargeEvent.objects.filter(subscription=sub, kind="seat_decrease").delete()
        ChargeEvent.objects.filter(pk=first.pk).update(price_amount=D("125.00"))
        cycle_line = BillingLine.objects.get(subscription=sub, kind="cycle").pk
    services.billing_runs_compute(run_ids=runs)
    by_sql, after = written(), stamps()
    assert {pk for pk in after if pk in before and after[pk] != before[pk]} == {cycle_line}
    assert len(set(after) - set(before)) == 1  # the one-time charge's line
    assert len(set(before) - set(after)) == 1  # the seat decrease's line
    monkeypatch.setattr(services, "FAST_INSERT", False)
    services.billing_runs_compute(run_ids=runs)
    assert (written(), stamps()) == (by_sql, after)


def test_sql_path_refuses_a_key_in_two_currencies_with_the_pure_ledgers_message(
    monkeypatch, ops, us_reseller, charge_factory
):
    first = charge_factory(us_reseller)
    odd = charge_factory(us_reseller, subscription=first.subscription, on=dt.date(2026, 6, 2))
    with scopes_disabled():
        ChargeEvent.objects.filter(pk=odd.pk).update(currency="CAD")
    [run_id] = open_runs(ops, [us_reseller])
    messages = []
    for fast in (False, True):
        monkeypatch.setattr(services, "FAST_INSERT", fast)
        with pytest.raises(LedgerError) as error, scopes_disabled():
            run = BillingRun.objects.select_related("reseller").get(pk=run_id)
            services._recompute([run])
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert messages[0] == (
        f"Subscription {first.subscription_id} has cycle charges in CAD, USD; one line has one "
        "currency."
    )


def test_sql_path_prices_usage_with_the_resolvers_rule(
    monkeypatch, ops, us_reseller, ca_reseller, usage_factory
):
    """Each Azure plan subscription below is priced by a different rule of the resolver's
    precedence (DESIGN.md "Price books"); the SQL path picks the same rule and rounds the
    same way as the pure path, whose prices are checked by hand here."""
    azure_plan = ProductType.objects.get(code="azure-plan")
    x_offer, y_offer = OfferFactory(product_type=azure_plan), OfferFactory(product_type=azure_plan)
    w_offer = OfferFactory(product_type=ProductType.objects.get(code="software-subscription"))
    may = dt.date(2026, 5, 3)

    def azure(reseller, offer, cost, *, term="P1M", currency=None, on=may, book_rules=()):
        """A subscription of a new customer with usage `cost` (one line each) and, given
        `book_rules`, the customer's own book with those rules in that order."""
        customer = CustomerFactory(reseller=reseller, currency=reseller.currency)
        sub = LedgerSubscriptionFactory(
            customer=customer, offer=offer, term=term, currency=currency or reseller.currency
        )
        for amount in cost if isinstance(cost, tuple) else (cost,):
            usage_factory(sub, on=on, cost=amount)
        if book_rules:
            own = PriceBookFactory(reseller=reseller, customer=customer)
            for rule in book_rules:
                PriceRuleFactory(book=own, **rule)
        return sub

    def rule(kind, value, since, **target):
        amount = {"fixed_price" if kind == "fixed" else "percent": D(value)}
        return {"kind": kind, "effective_from": since, **amount, **target}

    jan, may1, june1, june2 = (dt.date(2026, m, d) for m, d in ((1, 1), (5, 1), (6, 1), (6, 2)))
    default = PriceBookFactory(reseller=us_reseller, customer=None)
    for values in (
        rule("markup", "10", jan),  # book-wide
        rule("markup", "11", may1),  # book-wide, later: wins over 10 %
        rule("markup", "50", june2),  # after the period's first day: not yet
        rule("discount", "5", jan, product_type=azure_plan),
        rule("markup", "40", jan, product_type=ProductType.objects.get(code="nce")),
        rule("markup", "20", jan, offer=x_offer),  # every term
        rule("fixed", "99.99", jan, offer=x_offer, term="P1M", currency="USD"),
        rule("fixed", "77", jan, offer=x_offer, term="P1M", currency="CAD"),
        rule("fixed", "55", jan, offer=y_offer, term="P1Y", currency="USD"),
    ):
        PriceRuleFactory(book=default, **values)

    expected = {}  # subscription → (cost, price) of its usage line
    # the default book: offer fixed in the line's currency > offer percent > product type >
    # book-wide, each of the subscription's term or every term
    expected[azure(us_reseller, x_offer, "10.0000000001")] = ("10.00", "99.99")
    # P1Y: the P1M fixed price does not apply; 10.123456789 × 1.2 = 12.1481481468
    expected[azure(us_reseller, x_offer, "10.1234567890", term="P1Y")] = ("10.12", "12.15")
    expected[azure(us_reseller, x_offer, "5.555", currency="CAD")] = ("5.56", "77.00")
    # offer Y's fixed price is P1Y's; its product type's discount: 20.005 × 0.95 = 19.00475
    expected[azure(us_reseller, y_offer, "20.0050000000")] = ("20.01", "19.00")
    # another product type: the latest book-wide rule in force on June 1 (11 %)
    expected[azure(us_reseller, w_offer, "100")] = ("100.00", "111.00")
    # a customer's own book wins as soon as one of its rules applies, even a book-wide one
    # over the default book's offer fixed price
    expected[azure(us_reseller, x_offer, "10", book_rules=[rule("discount", "3", jan)])] = (
        "10.00",
        "9.70",
    )
    # … and is passed over when none applies (another offer, not yet, another currency)
    not_mine = [
        rule("markup", "60", jan, offer=y_offer),
        rule("markup", "70", june2),
        rule("fixed", "1", jan, offer=x_offer, term="P1M", currency="CAD"),
    ]
    expected[azure(us_reseller, x_offer, "10", book_rules=not_mine)] = ("10.00", "99.99")
    # a rule effective on the period's first day applies; a product-type rule beats a
    # book-wide one; of one offer's percent rules the latest in force
    expected[
        azure(
            us_reseller,
            y_offer,
            "100",
            book_rules=[
                rule("markup", "1", jan),
                rule("markup", "7", june1, product_type=azure_plan),
            ],
        )
    ] = ("100.00", "107.00")
    expected[
        azure(
            us_reseller,
            x_offer,
            "100",
            term="P1Y",
            book_rules=[
                rule("markup", "15", jan, offer=x_offer),
                rule("markup", "16", june1, offer=x_offer),
                rule("markup", "17", june2, offer=x_offer),
            ],
        )
    ] = ("100.00", "116.00")
    # two rules of one level from one day: the older rule (the lower id), whichever was
    # written first
    tied = azure(
        us_reseller,
        w_offer,
        "50",
        book_rules=[
            {**rule("markup", "30", dt.date(2026, 4, 1)), "id": 9_000_002},
            {**rule("markup", "10", dt.date(2026, 4, 1)), "id": 9_000_001},
        ],
    )
    expected[tied] = ("50.00", "55.00")
    # rounding: a percent price to 6 decimals first, then to the cent, halves away from zero:
    # 1.875999996 × 1.25 = 2.344999995 → 2.345000 → 2.35 (2.34 if rounded once)
    expected[azure(us_reseller, w_offer, "1.875999996", book_rules=[rule("markup", "25", jan)])] = (
        "1.88",
        "2.35",
    )
    # 4.69 × 0.5 = 2.345 → 2.35; the unrounded sum of two lines priced, not the rounded lines
    expected[
        azure(
            us_reseller,
            w_offer,
            ("2.3449999999", "2.3450000001"),
            book_rules=[rule("discount", "50", jan)],
        )
    ] = ("4.69", "2.35")

    # a reseller without price books: price = cost, rounded to each currency's minor unit
    bare = ResellerFactory(name="Gamma Cloud")
    expected[azure(bare, w_offer, "1.005")] = ("1.01", "1.01")
    expected[azure(bare, w_offer, "-2.345")] = ("-2.35", "-2.35")
    expected[azure(bare, w_offer, "1234.5", currency="JPY")] = ("1235", "1235")
    expected[azure(bare, w_offer, "-0.5", currency="JPY")] = ("-1", "-1")

    # Canada: the period May 20 – June 19 bills the usage of April 20 – May 19 (from the
    # daily lines), priced on May 20
    ca_book = PriceBookFactory(reseller=ca_reseller, customer=None)
    PriceRuleFactory(
        book=ca_book,
        **rule(
            "fixed", "12.345678", dt.date(2026, 5, 20), offer=x_offer, term="P1M", currency="CAD"
        ),
    )
    PriceRuleFactory(book=ca_book, **rule("markup", "10", dt.date(2026, 5, 21)))
    ca_fixed = azure(ca_reseller, x_offer, "3.00", on=dt.date(2026, 5, 19))
    usage_factory(ca_fixed, on=dt.date(2026, 5, 20), cost="1000")  # the next period's
    expected[ca_fixed] = ("3.00", "12.35")
    expected[azure(ca_reseller, y_offer, "2.0049999999", on=dt.date(2026, 4, 20))] = (
        "2.00",
        "2.00",
    )

    runs = open_runs(ops, [us_reseller, ca_reseller, bare])
    by_python, by_sql = compute_both(monkeypatch, runs)
    assert by_sql == by_python
    lines, _ = by_sql
    usage = {x[5]: (x[10], x[11]) for x in lines if x[6] == "usage"}
    assert usage == {sub.pk: (D(cost), D(price)) for sub, (cost, price) in expected.items()}

    # the tie's winner is deleted: by SQL only that line changes, to the other rule's price,
    # and the pure ledger then finds nothing left to change
    before = stamps()
    with scopes_disabled():
        PriceRule.objects.filter(pk=9_000_001).delete()
        tied_line = BillingLine.objects.get(subscription=tied, kind="usage").pk
    services.billing_runs_compute(run_ids=runs)
    by_sql, after = written(), stamps()
    assert {pk for pk in after if after[pk] != before[pk]} == {tied_line}
    assert {x[11] for x in by_sql[0] if x[5] == tied.pk} == {D("65.00")}
    monkeypatch.setattr(services, "FAST_INSERT", False)
    services.billing_runs_compute(run_ids=runs)
    assert (written(), stamps()) == (by_sql, after)
