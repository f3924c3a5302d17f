import httpx
import pytest
from playwright.sync_api import expect

from portal.roles import Role
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_owner_creates_an_api_key_uses_it_and_revokes_it(live_server, page, sign_in):
    owner = factories.MembershipFactory(role=Role.OWNER, reseller__name="Northwind Cloud")
    factories.CustomerFactory(reseller=owner.reseller, company_name="Lamna Healthcare")

    sign_in(owner.user.email, factories.PASSWORD)
    page.get_by_text(owner.user.email).click()
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("HaloPSA sync")
    page.get_by_label("Role").select_option("sales")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("Copy it now: it is shown only this once.")).to_be_visible()
    key = page.get_by_test_id("new-key").inner_text()

    api = httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {key}"})
    customers = api.get("/api/v1/customers/").json()["results"]
    assert [c["company_name"] for c in customers] == ["Lamna Healthcare"]

    page.goto(f"{live_server.url}/partner/api-keys/")  # the key is not shown again
    expect(page.get_by_test_id("new-key")).to_have_count(0)
    expect(page.get_by_role("cell", name=f"{key[:10]}…")).to_be_visible()
    page.get_by_role("button", name="Revoke HaloPSA sync").click()
    expect(page.get_by_text("API key “HaloPSA sync” revoked.")).to_be_visible()
    assert api.get("/api/v1/customers/").status_code == 401

    page.goto(f"{live_server.url}/api/v1/docs/")  # Swagger UI runs under the portal's CSP
    expect(page.get_by_role("heading", name="Reseller Portal API")).to_be_visible(
        timeout=30_000
    )  # a 1.5 MB bundle, slow on a busy CI machine
