"""An owner adds a webhook endpoint in the browser, copies its secret (shown once), and sees the
portal's event arrive at its receiver, verified with that secret, in the delivery log."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from portal.roles import Role
from tests import factories
from tests.webhooks.receiver import Receiver
from webhooks.events import emit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_adds_a_webhook_endpoint_sees_its_secret_once_and_its_delivery(
    live_server, page, sign_in
):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    owner = factories.MembershipFactory(role=Role.OWNER, reseller__name="Northwind Cloud")

    with Receiver() as psa:
        sign_in(owner.user.email, factories.PASSWORD)
        page.get_by_text(owner.user.email).click()
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_label("URL").fill(psa.url)
        page.get_by_label("Description").fill("HaloPSA")
        page.get_by_label("customer.created").check()
        page.get_by_label("subscription.provisioned").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_text("Copy its secret now: it is shown only once.")).to_be_visible()
        psa.secret = page.get_by_test_id("new-secret").inner_text()
        assert psa.secret.startswith("whsec_")

        page.goto(f"{live_server.url}/partner/webhooks/")  # not shown again
        expect(page.get_by_test_id("new-secret")).to_have_count(0)
        expect(page.get_by_role("link", name=psa.url)).to_be_visible()

        customer = factories.CustomerFactory(reseller=owner.reseller, company_name="Lamna")
        with transaction.atomic():  # as a service does: delivered once it commits
            emit("customer.created", customer)
        assert [e["data"]["company_name"] for e in psa.handled] == ["Lamna"]
        assert psa.rejected == []

        page.get_by_role("link", name=psa.url).click()
        expect(page.get_by_role("cell", name="customer.created")).to_be_visible()
        expect(page.get_by_role("cell", name="Delivered")).to_be_visible()
        page.get_by_role("button", name="Rotate secret").click()
        new = page.get_by_test_id("new-secret").inner_text()
        assert new.startswith("whsec_") and new != psa.secret
    assert errors == []
