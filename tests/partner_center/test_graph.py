"""The Microsoft Graph client (partner_center/graph.py) against a local fake serving
Microsoft's published example responses: pages followed to the end, sign-ins read
(0001-01-01 = never), licences joined, no access said plainly.

Fixtures: microsoft-graph-docs-contrib, api-reference/v1.0/api/subscribedsku-list.md (example
response, first SKU) and api-reference/v1.0/api/user-list.md (Example 11, sign-in activity;
Example 9, assignedLicenses), trimmed to the fields read."""

from datetime import UTC, datetime

import httpx
import pytest

from partner_center.graph import HttpGraph, NoTenantAccess

TENANT = "0b5d9c2f-3c4e-4f7a-9a1b-2c3d4e5f6a7b"
SKUS = {
    "value": [
        {
            "accountName": "Sample account One",
            "accountId": "f97aeefc-af85-414d-8ae4-b457f90efc40",
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": 14,
            "id": "48a80680-7326-48cd-9935-b556b81d3a4e_c7df2760-2c81-4ef7-b578-5b5392b571df",
            "prepaidUnits": {"enabled": 25, "lockedOut": 0, "suspended": 0, "warning": 0},
            "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df",
            "skuPartNumber": "ENTERPRISEPREMIUM",
            "subscriptionIds": ["43d26afe-cb98-48b9-acc4-ae3ef2ac6c51"],
        }
    ]
}
USERS_PAGE_1 = {
    "value": [
        {
            "displayName": "Adele Vance",
            "userPrincipalName": "AdeleV@contoso.com",
            "id": "1aecaf40-dc3a-461f-88a8-d06994e12898",
            "assignedLicenses": [
                {"disabledPlans": [], "skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df"}
            ],
            "signInActivity": {
                "lastSignInDateTime": "2021-06-17T16:41:33Z",
                "lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z",
            },
        }
    ],
    "@odata.nextLink": "https://graph.test/v1.0/users?$skiptoken=page2",
}
USERS_PAGE_2 = {
    "value": [
        {
            "displayName": "Alex Wilber",
            "userPrincipalName": "AlexW@contoso.com",
            "id": "f0662ee5-84b1-43d6-8338-769cce1bc141",
            "accountEnabled": False,
            "assignedLicenses": [],
            "signInActivity": {
                "lastSignInDateTime": "2021-07-29T15:53:27Z",
                "lastNonInteractiveSignInDateTime": "2021-07-29T17:53:42Z",
            },
        }
    ]
}


def fake_graph(request: httpx.Request) -> httpx.Response:
    assert request.headers["Authorization"] == f"Bearer token-for-{TENANT}"
    if request.url.path == "/v1.0/subscribedSkus":
        return httpx.Response(200, json=SKUS)
    if request.url.path == "/v1.0/users":
        if request.url.params.get("$skiptoken") == "page2":
            return httpx.Response(200, json=USERS_PAGE_2)
        assert "signInActivity" in request.url.params["$select"]
        return httpx.Response(200, json=USERS_PAGE_1)
    return httpx.Response(404)


@pytest.fixture
def graph():
    return HttpGraph(
        base_url="https://graph.test/v1.0",
        token_for=lambda t: f"token-for-{t}",
        transport=httpx.MockTransport(fake_graph),
    )


def test_subscribed_skus_give_consumed_and_enabled_units(graph):
    [sku] = graph.subscribed_skus(TENANT)
    assert (sku.part_number, sku.enabled_units, sku.consumed_units) == ("ENTERPRISEPREMIUM", 25, 14)
    assert sku.subscription_ids == ("43d26afe-cb98-48b9-acc4-ae3ef2ac6c51",)


def test_users_follow_every_page_with_licences_and_last_sign_in(graph):
    adele, alex = graph.users(TENANT)
    assert adele.sku_ids == ("c7df2760-2c81-4ef7-b578-5b5392b571df",) and adele.enabled
    assert adele.last_sign_in == datetime(2021, 6, 17, 16, 41, 33, tzinfo=UTC)  # 0001 = never
    assert alex.enabled is False and alex.sku_ids == ()
    assert alex.last_sign_in == datetime(2021, 7, 29, 17, 53, 42, tzinfo=UTC)  # the later


def test_a_tenant_without_delegated_access_says_so():
    graph = HttpGraph(
        base_url="https://graph.test/v1.0",
        token_for=lambda t: "x",
        transport=httpx.MockTransport(lambda r: httpx.Response(403)),
    )
    with pytest.raises(NoTenantAccess, match="No access to tenant"):
        graph.subscribed_skus(TENANT)
