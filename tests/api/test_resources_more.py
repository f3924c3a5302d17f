"""The rest of the resources of issue 24 on the pages' services and selectors: a renewal change
scheduled (seats and billing frequency) and removed, upgrade eligibility, the term lengthened,
price books with their rules, and the billing reports' rows with the pages' filters. A
service's refusal reaches the problem with its stable code and the page's words."""

import datetime as dt
from datetime import UTC

import pytest
import time_machine
from django_scopes import scopes_disabled

from portal.roles import Role
from subscriptions import services as subscription_services
from subscriptions.models import ScheduledChange
from tests.factories import PriceRuleFactory
from tests.subscriptions.conftest import BASIC, PREMIUM

pytestmark = pytest.mark.django_db

BOUGHT = dt.datetime(2026, 6, 18, 10, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


def _buy(api, customer, offer, *, quantity=5, frequency="monthly", term="P1Y"):
    response = api.post(
        "/api/v1/subscriptions/",
        {
            "customer": customer.pk,
            "offer": offer.pk,
            "term": term,
            "billing_frequency": frequency,
            "quantity": quantity,
        },
    )
    assert response.status_code == 201, response.content
    subscription_services.subscription_provision(subscription_id=response.json()["id"])
    return response.json()["id"]


def test_a_decrease_refused_now_carries_the_service_code_and_then_is_scheduled(
    api_a, owner_a, onboard, catalog
):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub_id = _buy(api_a, customer, catalog[PREMIUM])
    url = f"/api/v1/subscriptions/{sub_id}"
    with at(BOUGHT + dt.timedelta(days=10)):
        refused = api_a.post(f"{url}/seats/", {"quantity": 3})
        assert refused.status_code == 422
        assert refused["Content-Type"] == "application/problem+json"
        problem = refused.json()
        # the ServiceError's stable code and the message the subscription page shows
        assert problem["code"] == "subscriptions.decrease_needs_scheduling"
        assert (
            problem["type"] == "urn:reseller-portal:problem:subscriptions.decrease_needs_scheduling"
        )
        assert problem["detail"] == (
            "Only 0 of the 2 seats can be removed now: seats can be removed within 168 hours "
            "of being added. The decrease can take effect at renewal on 2027-06-18."
        )
        assert api_a.get(f"{url}/scheduled-change/").status_code == 404

        scheduled = api_a.post(f"{url}/scheduled-change/", {"quantity": 3})
        assert scheduled.status_code == 200, scheduled.content
        body = scheduled.json()
        assert body["detail"] == "5 → 3 seats scheduled for renewal on 2027-06-18."
        assert body["subscription"]["quantity"] == 5
        assert body["scheduled_change"]["quantity"] == 3
        assert body["scheduled_change"]["effective_on"] == "2027-06-18"

        frequency = api_a.post(f"{url}/scheduled-change/", {"billing_frequency": "annual"})
        assert frequency.status_code == 200, frequency.content
        assert frequency.json()["scheduled_change"]["billing_frequency"] == "annual"
        shown = api_a.get(f"{url}/scheduled-change/").json()
        assert (shown["quantity"], shown["billing_frequency"]) == (3, "annual")

        removed = api_a.delete(f"{url}/scheduled-change/")
        assert removed.status_code == 200
        assert removed.json()["detail"] == "The scheduled change was removed."
        with scopes_disabled():
            assert not ScheduledChange.objects.exists()
        again = api_a.delete(f"{url}/scheduled-change/")
        assert again.status_code == 422
        assert again.json()["detail"] == "Nothing is scheduled for this subscription."
        assert api_a.post(f"{url}/scheduled-change/", {}).status_code == 400


def test_a_viewer_may_read_the_schedule_but_not_change_it(
    api_a, owner_a, api_for, onboard, catalog
):
    customer = onboard(owner_a)
    sub_id = _buy(api_a, customer, catalog[PREMIUM])
    viewer = api_for(owner_a, Role.VIEWER)
    refused = viewer.post(f"/api/v1/subscriptions/{sub_id}/scheduled-change/", {"quantity": 1})
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"


def test_upgrade_eligibility_and_a_partial_upgrade(api_a, owner_a, onboard, catalog):
    customer = onboard(owner_a)
    sub_id = _buy(api_a, customer, catalog[BASIC], quantity=5)
    response = api_a.get(f"/api/v1/subscriptions/{sub_id}/upgrades/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["reason"] == ""
    targets = {o["offer"]: o for o in body["options"]}
    assert catalog[PREMIUM].pk in targets and catalog[BASIC].pk not in targets
    assert targets[catalog[PREMIUM].pk]["transition_types"] == ["transition_only"]

    upgraded = api_a.post(
        f"/api/v1/subscriptions/{sub_id}/upgrades/",
        {"offer": catalog[PREMIUM].pk, "quantity": 2},
    )
    assert upgraded.status_code == 201, upgraded.content
    assert (upgraded.json()["offer_sku"], upgraded.json()["quantity"]) == (PREMIUM, 2)
    source = api_a.get(f"/api/v1/subscriptions/{sub_id}/").json()
    assert source["quantity"] == 3
    too_many = api_a.post(
        f"/api/v1/subscriptions/{sub_id}/upgrades/",
        {"offer": catalog[PREMIUM].pk, "quantity": 4},
    )
    assert too_many.status_code == 422
    assert too_many.json()["detail"] == "Between 1 and 3 seats can be upgraded, not 4."


def test_a_cancelled_subscription_has_no_upgrade(api_a, owner_a, onboard, catalog):
    customer = onboard(owner_a)
    sub_id = _buy(api_a, customer, catalog[BASIC])
    assert api_a.post(f"/api/v1/subscriptions/{sub_id}/cancel/").status_code == 200
    listed = api_a.get(f"/api/v1/subscriptions/{sub_id}/upgrades/")
    assert listed.status_code == 200 and listed.json()["options"] == []


def test_lengthen_the_term(api_a, owner_a, onboard, catalog):
    customer = onboard(owner_a)
    with at(BOUGHT):
        sub_id = _buy(api_a, customer, catalog[PREMIUM], term="P1M")
    with at(BOUGHT + dt.timedelta(days=3)):
        response = api_a.post(
            f"/api/v1/subscriptions/{sub_id}/term/",
            {"term": "P1Y", "billing_frequency": "monthly"},
        )
    assert response.status_code == 200, response.content
    assert response.json()["subscription"]["term"] == "P1Y"
    assert response.json()["detail"].startswith("The term is now")


def test_price_books_with_their_rules_for_money_roles_only(api_a, owner_a, api_for):
    rule = PriceRuleFactory(book__reseller=owner_a.reseller, book__customer=None, percent=12)
    listed = api_a.get("/api/v1/price-books/")
    assert listed.status_code == 200, listed.content
    [book] = listed.json()["results"]
    assert book["is_default"] is True and book["customer"] is None
    assert [(r["id"], r["kind"], r["percent"]) for r in book["rules"]] == [
        (rule.pk, "markup", "12.000")
    ]
    rule.refresh_from_db()
    assert book["rules"][0]["label"] == str(rule)
    assert api_a.get(f"/api/v1/price-books/{book['id']}/").json() == book
    assert api_for(owner_a, Role.SALES).get("/api/v1/price-books/").status_code == 403


def test_report_rows_with_the_pages_filters_and_columns(api_a, owner_a, api_for, onboard, catalog):
    customer = onboard(owner_a, company_name="Fabrikam")
    other = onboard(owner_a, company_name="Contoso")
    _buy(api_a, customer, catalog[PREMIUM], quantity=4)
    _buy(api_a, other, catalog[BASIC], quantity=2)

    seats = api_a.get("/api/v1/reports/seats/")
    assert seats.status_code == 200, seats.content
    page = seats.json()
    assert page["count"] == 2 and page["period"]
    assert [r["customer_name"] for r in page["results"]] == ["Contoso", "Fabrikam"]
    assert {"cost", "margin"} <= set(page["columns"])
    assert page["totals"][0]["rows"] == 2 and page["totals"][0]["cost"]

    only = api_a.get("/api/v1/reports/seats/?customer_name=fabri").json()
    assert [(r["customer_name"], r["quantity"]) for r in only["results"]] == [("Fabrikam", 4)]
    first = api_a.get("/api/v1/reports/azure-plan/licences/?page_size=1&ordering=-quantity")
    assert first.status_code == 200, first.content
    assert first.json()["results"][0]["quantity"] == "4.00" or first.json()["results"][0][
        "quantity"
    ].startswith("4")
    assert first.json()["next"]

    # the same columns as the page: no cost or margin for a role that may not see money
    sales = api_for(owner_a, Role.SALES).get("/api/v1/reports/seats/")
    assert sales.status_code == 200, sales.content
    row = sales.json()["results"][0]
    assert "cost" not in row and "margin" not in row and "price" in row

    bad = api_a.get("/api/v1/reports/seats/?period=1999-01-01")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"
    assert bad.json()["errors"][0]["field"] == "period"
    daily = api_a.get("/api/v1/reports/azure-plan/daily/")
    assert daily.status_code == 400


def _usage_lines(sub, days):
    """Two lines a day (two meters), as an import stores them."""
    from decimal import Decimal

    from billing.usage.models import UsageLine
    from tests.factories import UsageImportFactory

    imp = UsageImportFactory(reseller=sub.reseller)
    with scopes_disabled():
        UsageLine.objects.bulk_create(
            [
                UsageLine(
                    reseller=sub.reseller,
                    customer=sub.customer,
                    subscription=sub,
                    usage_import=imp,
                    usage_date=day,
                    meter_id=meter,
                    meter_name=meter,
                    quantity=Decimal("1.5"),
                    unit_price=Decimal("2"),
                    billing_pre_tax_total=Decimal("3.25"),
                    currency=sub.currency,
                    charge_type="new",
                )
                for day in days
                for meter in ("vm", "storage")
            ]
        )


def test_daily_usage_per_customer_subscription_and_day(api_a, owner_a, api_for, api_b):
    from tests.factories import SubscriptionFactory

    sub = SubscriptionFactory(reseller=owner_a.reseller)
    other = SubscriptionFactory(reseller=owner_a.reseller)
    june = [dt.date(2026, 6, d) for d in (1, 2, 3)]
    _usage_lines(sub, june)
    _usage_lines(other, june[:1])

    by_customer = api_a.get(
        f"/api/v1/usage-summaries/daily/?customer={sub.customer_id}"
        "&date_from=2026-06-02&date_to=2026-06-30"
    )
    assert by_customer.status_code == 200, by_customer.content
    rows = by_customer.json()["results"]
    assert [(r["subscription"], r["usage_date"], r["lines"]) for r in rows] == [
        (sub.pk, "2026-06-02", 2),
        (sub.pk, "2026-06-03", 2),
    ]
    assert rows[0]["quantity"] == "3.0000000000" and rows[0]["pre_tax_total"] == "6.5000000000"
    by_sub = api_a.get(
        f"/api/v1/usage-summaries/daily/?subscription={other.pk}"
        "&date_from=2026-06-01&date_to=2026-06-01"
    ).json()
    assert by_sub["count"] == 1 and by_sub["results"][0]["customer"] == other.customer_id

    assert (
        api_a.get(
            "/api/v1/usage-summaries/daily/?date_from=2026-06-01&date_to=2026-06-02"
        ).status_code
        == 400
    )
    too_long = api_a.get(
        f"/api/v1/usage-summaries/daily/?customer={sub.customer_id}"
        "&date_from=2026-01-01&date_to=2026-06-30"
    )
    assert too_long.status_code == 400 and "at most 92 days" in too_long.json()["detail"]
    # money: cost roles only; another reseller's customer is not found
    assert (
        api_for(owner_a, Role.SALES)
        .get(
            f"/api/v1/usage-summaries/daily/?customer={sub.customer_id}"
            "&date_from=2026-06-01&date_to=2026-06-02"
        )
        .status_code
        == 403
    )
    assert (
        api_b.get(
            f"/api/v1/usage-summaries/daily/?customer={sub.customer_id}"
            "&date_from=2026-06-01&date_to=2026-06-02"
        ).status_code
        == 404
    )
