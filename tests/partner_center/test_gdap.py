"""The GDAP client (partner_center/gdap.py) against a fake Graph written from Microsoft's
documentation (tests/partner_center/gdap_fake.py, which checks each request's required fields
and placement), Microsoft's documented answers read right, and the sandbox answering in the
same shapes."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pytest_httpserver import HTTPServer

from partner_center import gdap
from partner_center.auth import StaticToken
from partner_center.errors import Conflict, ValidationFailed
from tests.partner_center.gdap_fake import (
    ASSIGNMENT_RESPONSE,
    BASE,
    CREATE_RESPONSE,
    GET_RESPONSE,
    LIST_RESPONSE,
    TOKEN,
    FakeGdap,
)

CUSTOMER = "4b827261-d21f-4aa9-b7db-7fa1f56fb163"
GROUP = "869713c9-0b28-4d08-8949-ae07ae1bf528"
ROLES = ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "4d6ac14f-3453-41d0-bef9-a3e0c569773a")


@pytest.fixture
def graph(httpserver: HTTPServer):
    fake = FakeGdap(base_url=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake)
    client = gdap.HttpGdap(base_url=httpserver.url_for("/v1.0"), tokens=StaticToken(TOKEN))
    return fake, client


def test_microsofts_documented_answers_read_right():
    made = gdap.relationship_from_json(CREATE_RESPONSE)
    assert made.status == "created" and made.activated_at is None  # "" until active
    assert made.auto_extends and made.duration == "P730D"
    assert made.customer_tenant_id == CUSTOMER
    assert made.role_ids == (
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
    )
    active = gdap.relationship_from_json(GET_RESPONSE)
    assert active.status == "active" and not active.auto_extends  # PT0S
    assert active.activated_at == datetime(2022, 2, 10, 11, 26, 44, 994188, tzinfo=UTC)
    assert active.ends_at == datetime(2024, 2, 10, 11, 24, 42, 314826, tzinfo=UTC)
    assert active.etag.startswith('W/"')
    assignment = gdap.assignment_from_json(ASSIGNMENT_RESPONSE)
    assert (assignment.status, assignment.group_id, len(assignment.role_ids)) == (
        "pending",
        GROUP,
        4,
    )


def test_create_lock_and_assign_send_what_microsoft_documents(graph):
    fake, client = graph
    made = client.create_relationship(
        display_name="Contoso 12-20260101",
        duration="P730D",
        customer_tenant_id=CUSTOMER,
        customer_name="Contoso Inc",
        role_ids=ROLES,
        auto_extend=True,
    )
    assert made.status == "created" and made.display_name == "Contoso 12-20260101"
    assert client.lock_for_approval(made.id) == "created"  # the request's own status
    assert client.get_relationship(made.id).status == "approvalPending"
    method, path, body, headers = fake.seen[0]
    assert (method, path) == ("POST", BASE)
    assert body == {
        "displayName": "Contoso 12-20260101",
        "duration": "P730D",
        "customer": {"tenantId": CUSTOMER, "displayName": "Contoso Inc"},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in ROLES]},
        "autoExtendDuration": "P180D",
    }
    assert headers["Content-Type"] == "application/json"
    assert fake.seen[1][1:3] == (f"{BASE}/{made.id}/requests", {"action": "lockForApproval"})

    fake.relationships[made.id]["status"] = "active"  # the customer approved
    assignment = client.create_access_assignment(made.id, group_id=GROUP, role_ids=ROLES)
    assert assignment.status == "pending" and assignment.group_id == GROUP
    assert fake.seen[-1][2] == {
        "accessContainer": {"accessContainerId": GROUP, "accessContainerType": "securityGroup"},
        "accessDetails": {"unifiedRoles": [{"roleDefinitionId": r} for r in ROLES]},
    }
    assert [a.id for a in client.list_access_assignments(made.id)] == [assignment.id]


def test_the_list_is_read_to_its_last_page(graph):
    fake, client = graph
    fake.page_size = 2
    for item in LIST_RESPONSE["value"]:
        fake.relationships[item["id"]] = item
    found = client.list_relationships()
    assert [(r.display_name, r.status) for r in found] == [
        ("Contoso admin relationship", "active"),
        ("Contoso subsidiary relationship", "terminated"),
        ("Fabrikam admin relationship", "approvalPending"),  # a reseller's (indirect) one
    ]
    assert found[2].activated_at is None and found[2].ends_at is None  # null until active
    assert found[0].auto_extends and not found[1].auto_extends
    pages = [(m, p) for m, p, _, _ in fake.seen if m == "GET"]
    assert len(pages) == 2


def test_auto_extend_is_patched_with_the_etag(graph):
    fake, client = graph
    made = client.create_relationship(
        display_name="Fabrikam 3",
        duration="P365D",
        customer_tenant_id=CUSTOMER,
        customer_name="Fabrikam",
        role_ids=ROLES,
        auto_extend=False,
    )
    assert not made.auto_extends
    etag = fake.relationships[made.id]["@odata.etag"]
    assert client.set_auto_extend(made.id, True).auto_extends
    method, _, body, headers = fake.seen[-1]
    assert (method, body, headers["If-Match"]) == ("PATCH", {"autoExtendDuration": "P180D"}, etag)


def test_graphs_refusal_is_told_with_its_message(graph):
    fake, client = graph
    kwargs = {
        "duration": "P30D",
        "customer_tenant_id": CUSTOMER,
        "customer_name": "Contoso",
        "role_ids": ROLES,
        "auto_extend": False,
    }
    client.create_relationship(display_name="Same name", **kwargs)
    with pytest.raises(ValidationFailed, match="displayName must be unique"):
        client.create_relationship(display_name="Same name", **kwargs)


def test_a_401_refreshes_the_token_once(httpserver: HTTPServer):
    fake = FakeGdap(base_url=httpserver.url_for("").rstrip("/"))
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake)

    class Expired:
        refreshed = 0

        def access_token(self):
            return "stale"

        def refresh(self):
            self.refreshed += 1
            return TOKEN

    tokens = Expired()
    client = gdap.HttpGdap(base_url=httpserver.url_for("/v1.0"), tokens=tokens)
    client.create_relationship(
        display_name="Retry",
        duration="P1D",
        customer_tenant_id=CUSTOMER,
        customer_name="",
        role_ids=ROLES,
        auto_extend=False,
    )
    assert tokens.refreshed == 1 and len(fake.relationships) == 1


def test_microsofts_limits_are_refused_before_any_call():
    ok = {"display_name": "x", "duration": "P730D", "role_ids": ROLES, "auto_extend": False}
    gdap.check_request(**ok)
    with pytest.raises(ValidationFailed, match="P1D and P730D"):
        gdap.check_request(**ok | {"duration": "P731D"})
    with pytest.raises(ValidationFailed, match="1 to 50"):
        gdap.check_request(**ok | {"display_name": "x" * 51})
    with pytest.raises(ValidationFailed, match="Global Administrator"):
        gdap.check_request(**ok | {"role_ids": (gdap.GLOBAL_ADMINISTRATOR,), "auto_extend": True})


@pytest.mark.django_db
def test_the_sandbox_answers_in_microsofts_shapes_and_moves_with_time():
    sandbox = gdap.SandboxGdap()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        made = sandbox.create_relationship(
            display_name="Contoso 1",
            duration="P60D",
            customer_tenant_id=CUSTOMER,
            customer_name="Contoso",
            role_ids=ROLES,
            auto_extend=False,
        )
        row = sandbox._row(made.id)
        # the same properties as Microsoft's documented answer, no more, no fewer
        shape = set(sandbox._json(row)) | {"@odata.context"}
        assert shape == set(CREATE_RESPONSE)
        assert sandbox._json(row)["activatedDateTime"] == ""
        with pytest.raises(Conflict):
            sandbox.create_access_assignment(made.id, group_id=GROUP, role_ids=ROLES)
        sandbox.lock_for_approval(made.id)
        assert sandbox.approve(made.id).status == "active"
        a = sandbox.create_access_assignment(made.id, group_id=GROUP, role_ids=ROLES)
        assert a.status == "pending"
        stored = sandbox._row(made.id).assignments[0]
        assert set(sandbox._assignment_json(stored)) | {"@odata.context", "@odata.etag"} == set(
            ASSIGNMENT_RESPONSE
        )
        assert sandbox.list_access_assignments(made.id)[0].status == "pending"
        assert sandbox.get_relationship(made.id).ends_at == start + timedelta(days=60)
        assert sandbox.list_access_assignments(made.id)[0].status == "active"
    with time_machine.travel(start + timedelta(days=60, hours=1), tick=False):
        assert sandbox.get_relationship(made.id).status == "expiring"
    with time_machine.travel(start + timedelta(days=61, hours=1), tick=False):
        assert sandbox.get_relationship(made.id).status == "expired"


@pytest.mark.django_db
def test_the_sandbox_extends_by_180_days_and_never_with_the_global_administrator():
    sandbox = gdap.SandboxGdap()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        kwargs = {"duration": "P10D", "customer_tenant_id": CUSTOMER, "customer_name": "C"}
        ext = sandbox.create_relationship(
            display_name="ext", role_ids=ROLES, auto_extend=True, **kwargs
        )
        with pytest.raises(ValidationFailed, match="Global Administrator"):
            sandbox.create_relationship(
                display_name="ga",
                role_ids=(gdap.GLOBAL_ADMINISTRATOR,),
                auto_extend=True,
                **kwargs,
            )
        ga = sandbox.create_relationship(
            display_name="ga", role_ids=(gdap.GLOBAL_ADMINISTRATOR,), auto_extend=False, **kwargs
        )
        for r in (ext, ga):
            sandbox.lock_for_approval(r.id)
            sandbox.approve(r.id)
        with pytest.raises(ValidationFailed, match="Global Administrator"):
            sandbox.set_auto_extend(ga.id, True)
    with time_machine.travel(start + timedelta(days=10, hours=2), tick=False):
        extended = sandbox.get_relationship(ext.id)
        assert extended.status == "active"
        assert extended.ends_at == start + timedelta(days=190)
        assert sandbox.get_relationship(ga.id).status == "expiring"


@pytest.mark.django_db
def test_http_gdap_redeems_the_consented_refresh_token_for_graph(settings):
    from partner_center.auth import GRAPH_SCOPE, AppUserTokens, StaticToken, store_refresh_token

    settings.PARTNER_CENTER_CLIENT_ID = ""
    settings.GRAPH_TOKEN = "fixed"
    assert isinstance(gdap.HttpGdap.from_settings().tokens, StaticToken)
    settings.PARTNER_CENTER_CLIENT_ID = "app-id"
    settings.PARTNER_CENTER_REFRESH_TOKEN = "bootstrap"
    tokens = gdap.HttpGdap.from_settings().tokens
    assert isinstance(tokens, AppUserTokens) and tokens._bootstrap == "bootstrap"
    store_refresh_token("from-the-consent-flow")
    tokens = gdap.HttpGdap.from_settings().tokens
    assert tokens._bootstrap == "from-the-consent-flow"
    assert tokens.scopes == [GRAPH_SCOPE] and tokens.name == "graph-gdap"


def made(client, name: str, tenant: str):
    """A 90-day relationship of the test roles, through the client."""
    return client.create_relationship(
        display_name=name,
        duration="P90D",
        customer_tenant_id=tenant,
        customer_name="",
        role_ids=ROLES,
        auto_extend=False,
    )


def test_a_customers_relationships_are_asked_with_a_filter_on_its_tenant(graph):
    fake, client = graph
    fake.page_size = 1  # the filter is kept from page to page
    other = "0f0e0d0c-0b0a-4909-8807-060504030201"
    for n, tenant in enumerate([CUSTOMER, other, CUSTOMER]):
        made(client, f"Relationship {n}", tenant)
    found = client.relationships_of(CUSTOMER)
    assert [r.display_name for r in found] == ["Relationship 0", "Relationship 2"]
    asked = [path for method, path, _, _ in fake.seen if method == "GET"]
    assert asked and all(path == BASE for path in asked)
    assert len(asked) == 2  # two pages of the customer's relationships, none of the other's


def test_the_partner_ends_an_active_relationship(graph):
    fake, client = graph
    rel = made(client, "To end", CUSTOMER)
    client.lock_for_approval(rel.id)
    with pytest.raises(ValidationFailed, match="only an active relationship"):
        client.terminate(rel.id)  # still waiting for the customer
    fake.relationships[rel.id]["status"] = "active"  # the customer approved
    ended = client.terminate(rel.id)
    assert ended.status == "terminationRequested"
    method, path, body, _ = [s for s in fake.seen if s[0] == "POST"][-1]
    assert (path, body) == (f"{BASE}/{rel.id}/requests", {"action": "terminate"})
