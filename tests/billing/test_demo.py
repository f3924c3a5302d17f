import datetime as dt

import pytest
from django_scopes import scopes_disabled

from billing.demo import seed_billing
from billing.models import BillingRun, Invoice, Statement


@pytest.mark.django_db
def test_seed_billing_finalizes_the_previous_period_and_is_idempotent(
    ops, us_reseller, ca_reseller, charge_factory
):
    charge_factory(us_reseller, on=dt.date(2026, 6, 3), cost="50.00")
    charge_factory(us_reseller, on=dt.date(2026, 7, 3), cost="60.00")
    charge_factory(ca_reseller, on=dt.date(2026, 6, 25), cost="70.00")
    seed_billing(today=dt.date(2026, 7, 10))
    seed_billing(today=dt.date(2026, 7, 10))
    with scopes_disabled():
        assert BillingRun.objects.count() == 4
        final = Invoice.objects.filter(status="finalized").order_by("number")
        assert [(i.reseller, i.total) for i in final] == [(us_reseller, 50)]
        drafts = Invoice.objects.filter(status="draft").order_by("reseller__country")
        assert [(i.reseller, i.total) for i in drafts] == [(ca_reseller, 70), (us_reseller, 60)]
        assert all(i.pdf for i in Invoice.objects.all())
        # the finalized period's customer statements, rendered at once (not on commit)
        statements = list(Statement.objects.select_related("run"))
        assert [(s.reseller, s.period_start) for s in statements] == [
            (us_reseller, dt.date(2026, 6, 1))
        ]
        assert all(s.pdf and not s.run.is_draft for s in statements)
