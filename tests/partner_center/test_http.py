"""HttpGateway against the fake Microsoft Partner Center: what goes on the wire (checked against
Microsoft's documented bodies), asynchronous answers, retries, idempotency, tokens, errors."""

import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from partner_center import wire
from partner_center.errors import (
    GatewayError,
    NotFound,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from partner_center.gateway import get_gateway
from partner_center.http import HttpGateway, OrderPending, _retry_after, request_id
from partner_center.models import PlacedOrder
from partner_center.sandbox import SandboxGateway
from tests.partner_center.conftest import E3, acceptance, customer_request, order
from tests.partner_center.microsoft import fixtures
from tests.partner_center.microsoft.server import GUID, Queued


@pytest.fixture
def tenant(http_gateway, offers):
    info = http_gateway.create_customer(customer_request(), idempotency_key="setup")
    http_gateway.attest_mca(info.tenant_id, acceptance())
    return info.tenant_id


def _keys(data) -> set[str]:
    """Every dotted key path of a JSON object, lower-cased (Microsoft reads keys
    case-insensitively; its own examples mix PascalCase and camelCase)."""
    out = set()
    if isinstance(data, dict):
        for key, value in data.items():
            out.add(key.lower())
            out |= {f"{key.lower()}.{sub}" for sub in _keys(value)}
    elif isinstance(data, list):
        for item in data:
            out |= _keys(item)
    return out


# --- requests match Microsoft's documented bodies ----------------------------------------


def test_customer_body_has_microsofts_fields_in_microsofts_places(http_gateway, ms, offers):
    info = http_gateway.create_customer(
        customer_request(contact_phone="4255550101"), idempotency_key="c-1"
    )
    (sent,) = ms.calls("POST", r"^/v1/customers$")
    documented = _keys(fixtures.CUSTOMER_CREATE_REQUEST)
    assert _keys(sent.body) <= documented
    for required in (
        "companyprofile.domain",
        "billingprofile.email",
        "billingprofile.culture",
        "billingprofile.language",
        "billingprofile.companyname",
        "billingprofile.defaultaddress.country",
        "associatedpartnerid",
    ):
        assert required in _keys(sent.body)
    assert "currency" not in str(_keys(sent.body))  # Partner Center has no such field
    assert sent.body["associatedPartnerId"] == "484e548c-f5f3-4528-93a9-c16c6373cb59"
    assert info.admin_user_name == "admin" and len(info.admin_password) == 10


def test_attestation_body_is_the_documented_agreement(http_gateway, ms, offers):
    info = http_gateway.create_customer(customer_request(), idempotency_key="c-2")
    http_gateway.attest_mca(info.tenant_id, acceptance(phone="1234567890"))
    (sent,) = ms.calls("POST", r"/agreements$")
    assert _keys(sent.body) == _keys(fixtures.AGREEMENT_REQUEST)
    assert sent.body["dateAgreed"] == "2026-01-05T09:30:00.000Z"
    assert sent.body["type"] == "MicrosoftCustomerAgreement"
    assert (
        http_gateway.get_mca_template_id()
        == fixtures.MCA_AGREEMENTS_RESPONSE["items"][0]["templateId"]
    )
    assert ms.calls("GET", r"^/v1/agreements$")[0].query == {
        "agreementType": "MicrosoftCustomerAgreement"
    }


def test_purchase_is_a_cart_a_checkout_and_an_order_polled_until_completed(
    http_gateway, ms, tenant, sleeps
):
    ms.catalog[("CFQ7TTC0LFLX", "0001")] = "CFQ7TTC0K5DJ"
    sub = http_gateway.create_order(
        tenant,
        order(E3, 5, term="P1Y", billing_frequency="monthly", partner_id_on_record="4847383"),
        idempotency_key="order:1",
    )
    (availability,) = ms.calls("GET", r"/availabilities$")
    assert availability.query == {"country": "US", "targetSegment": "commercial"}
    (cart,) = ms.calls("POST", r"/carts$")
    assert _keys(cart.body) <= _keys(fixtures.CART_REQUEST) | {"lineitems.id"}
    assert cart.body["lineItems"] == [
        {
            "id": 0,
            "catalogItemId": "CFQ7TTC0LFLX:0001:CFQ7TTC0K5DJ",
            "quantity": 5,
            "billingCycle": "monthly",
            "termDuration": "P1Y",
            "participants": [{"key": "transaction_reseller", "value": "4847383"}],
        }
    ]
    (checkout,) = ms.calls("POST", r"/checkout$")
    assert checkout.body is None
    polls = ms.calls("GET", r"/orders/")
    assert len(polls) == 2 and sleeps == [1.0]  # pending once, then completed
    order_id = polls[0].path.rsplit("/", 1)[1]
    assert ms.orders[order_id]["lineItems"][0]["partnerIdOnRecord"] == "4847383"
    assert ms.orders[order_id]["billingCycle"] == "monthly"  # an order property
    assert sub.subscription_id == ms.orders[order_id]["lineItems"][0]["subscriptionId"]
    record = PlacedOrder.objects.get(key="order:1")
    assert (record.order_ids, record.subscription_id) == ([order_id], sub.subscription_id)


def test_an_order_still_pending_is_resumed_not_bought_again(http_gateway, ms, tenant, sleeps):
    ms.polls_until_complete = 6
    with pytest.raises(OrderPending) as e:
        http_gateway.create_order(tenant, order(E3, 3), idempotency_key="order:2")
    assert isinstance(e.value, Unavailable)
    assert "still provisioning" in e.value.message
    sub = http_gateway.create_order(tenant, order(E3, 3), idempotency_key="order:2")
    assert len(ms.calls("POST", r"/carts$")) == 1
    assert len(ms.calls("POST", r"/checkout$")) == 1
    assert sub.quantity == 3 and len(ms.subscriptions) == 1


def test_checkout_answer_lost_then_timeout_retry_reuses_the_request_id(
    http_gateway, ms, tenant, sleeps
):
    ms.queue(
        Queued(
            503,
            {"code": 800003, "description": "Unexpected service error"},
            path=r"/checkout$",
            then_process=False,
        )
    )
    sub = http_gateway.create_order(tenant, order(E3, 2), idempotency_key="order:3")
    checkouts = ms.calls("POST", r"/checkout$")
    assert len(checkouts) == 2
    first, second = (c.headers["Ms-Requestid"] for c in checkouts)
    assert first == request_id("order:3", "checkout")  # derived from our key
    assert second != first  # Partner Center answered: a new request id for the retry
    assert sub.quantity == 2


def test_a_timeout_is_retried_with_the_same_request_id_and_creates_once(
    ms, pc_server, tokens, sleeps, db
):
    """Partner Center created the customer but its answer came too late: the retry carries the
    same MS-RequestId, and Partner Center answers it as the first (headers: idempotency)."""
    gateway = HttpGateway(
        pc_server.url_for("/"), tokens, timeout=1.0, max_retries=1, sleep=sleeps.append
    )
    ms.late_answer = 2.0
    try:
        info = gateway.create_customer(customer_request(), idempotency_key="c-slow")
    finally:
        gateway.close()
    first, second = ms.calls("POST", r"^/v1/customers$")
    assert (
        first.headers["Ms-Requestid"]
        == second.headers["Ms-Requestid"]
        == request_id("c-slow", "POST /v1/customers")
    )
    assert len(ms.customers) == 1 and info.tenant_id in ms.customers


def test_headers_are_guids_and_contract_version(http_gateway, ms, tenant):
    http_gateway.get_subscriptions(tenant)
    seen = ms.calls("GET", r"/subscriptions$")[0]
    assert GUID.match(seen.headers["Ms-Requestid"]) and GUID.match(seen.headers["Ms-Correlationid"])
    assert seen.headers["Ms-Contract-Version"] == "v1"
    assert str(uuid.UUID(request_id("k"))) == request_id("k")


# --- answers -------------------------------------------------------------------------------


def test_subscription_list_with_an_azure_plan_item_and_date_times(http_gateway, ms, tenant):
    """Microsoft's Azure subscription carries no termDuration or billingCycle: it must not
    break the list, and date-times become dates of the term."""
    ms.add_subscription(tenant, fixtures.SUBSCRIPTION_AZURE)
    ms.add_subscription(tenant, fixtures.SUBSCRIPTION_SOFTWARE)
    azure, software = http_gateway.get_subscriptions(tenant)
    assert (azure.offer_sku, azure.term, azure.billing_frequency) == ("MS-AZR-0145P", "", "")
    assert azure.created_at == datetime(2016, 5, 10, 7, 30, 5, 427000, tzinfo=UTC)
    assert azure.term_end == date(9999, 12, 10)
    assert (software.offer_sku, software.term, software.billing_frequency) == (
        "DG7GMGF0FKZV:0003",
        "P3Y",
        "triennial",
    )
    assert software.cancellation_allowed_until == datetime(2021, 11, 14, 23, 59, tzinfo=UTC)
    assert (software.term_start, software.term_end) == (date(2021, 10, 15), date(2024, 10, 14))


def test_documented_nce_subscription_is_understood():
    sub = wire.subscription("t", fixtures.SUBSCRIPTION_NCE)
    assert (sub.offer_sku, sub.quantity, sub.status, sub.term) == (
        "CFQ7TTC0LH18:0001",
        15,
        "expired",
        "P1Y",
    )
    assert sub.refundable_quantity == 10
    assert sub.created_at == datetime(2021, 1, 14, 16, 57, 15, 96672, tzinfo=UTC)
    scheduled = wire.subscription("t", fixtures.SCHEDULED_CHANGE_REQUEST)
    assert (
        scheduled.next_term.quantity,
        scheduled.next_term.term,
        scheduled.next_term.billing_frequency,
    ) == (1, "P3Y", "annual")


def test_patch_sends_the_full_resource_with_its_etag_and_follows_a_202(
    http_gateway, ms, tenant, sleeps
):
    sub = http_gateway.create_order(tenant, order(E3, 5), idempotency_key="order:4")
    etag = ms.subscriptions[sub.subscription_id]["attributes"]["etag"]
    ms.accept_next_patches = 1
    sleeps.clear()
    changed = http_gateway.change_quantity(tenant, sub.subscription_id, 7, idempotency_key="q-1")
    (patch,) = ms.calls("PATCH", r"/subscriptions/")
    assert patch.headers["If-Match"] == etag == patch.body["attributes"]["etag"]
    assert {
        "id",
        "offerid",
        "quantity",
        "status",
        "autorenewenabled",
        "billingcycle",
        "termduration",
        "attributes.etag",
    } <= _keys(patch.body)
    assert patch.body["quantity"] == 7 and changed.quantity == 7
    assert ms.calls("GET", rf"/subscriptions/{sub.subscription_id}$")  # followed Location
    assert sleeps == [1.0]


def test_a_partial_patch_is_refused_by_microsoft(ms, http_gateway, tenant):
    sub = http_gateway.create_order(tenant, order(E3, 5), idempotency_key="order:5")
    with pytest.raises(ValidationFailed) as e:
        http_gateway._call(
            "PATCH",
            f"/v1/customers/{tenant}/subscriptions/{sub.subscription_id}",
            body={"quantity": 3},
        )
    assert e.value.code == 800002


def test_scheduled_change_body_matches_microsofts(http_gateway, ms, tenant):
    sub = http_gateway.create_order(tenant, order(E3, 10, term="P1Y"), idempotency_key="o-s")
    http_gateway.schedule_next_term(
        tenant,
        sub.subscription_id,
        quantity=6,
        term="P1Y",
        billing_frequency="monthly",
        idempotency_key="n-1",
    )
    (patch,) = ms.calls("PATCH", r"/subscriptions/")
    instructions = patch.body["scheduledNextTermInstructions"]
    documented = fixtures.SCHEDULED_CHANGE_REQUEST["scheduledNextTermInstructions"]
    assert set(instructions) <= set(documented)
    assert set(instructions["product"]) <= set(documented["product"])
    product, sku, availability = ms.subscriptions[sub.subscription_id]["offerId"].split(":")
    assert instructions == {
        "product": {
            "productId": product,
            "skuId": sku,
            "availabilityId": availability,
            "billingCycle": "monthly",
            "termDuration": "P1Y",
        },
        "quantity": 6,
    }


def test_transition_body_matches_microsofts(http_gateway, ms, tenant):
    sub = http_gateway.create_order(tenant, order(E3, 10), idempotency_key="o-t")
    options = http_gateway.get_transition_options(tenant, sub.subscription_id)
    (eligibility_call,) = ms.calls("GET", r"/transitionEligibilities$")
    assert eligibility_call.query == {"eligibilityType": "immediate"}
    assert [o.eligible for o in options] == [True, False]
    assert options[1].reasons == [
        "Subscription cannot be transitioned because there are conflicting services."
    ]
    http_gateway.transition(
        tenant,
        sub.subscription_id,
        to_catalog_item_id=options[0].catalog_item_id,
        quantity=3,
        idempotency_key="u-1",
    )
    (post,) = ms.calls("POST", r"/transitions$")
    assert set(post.body) <= set(fixtures.TRANSITION_REQUEST)
    assert post.body["fromSubscriptionId"] == sub.subscription_id
    assert post.body["transitionType"] == "transition_only"


# --- failures, retries, tokens ------------------------------------------------------------


def test_429_with_retry_after_then_success(http_gateway, ms, tenant, sleeps):
    ms.queue(Queued(429, fixtures.THROTTLED, {"Retry-After": "57"}))
    assert http_gateway.get_subscriptions(tenant) == []
    assert sleeps == [30.0]  # Retry-After, capped at max_sleep


def test_429_exhausted_is_rate_limited(http_gateway, ms, tenant, sleeps):
    ms.queue(*[Queued(429, fixtures.THROTTLED, {"Retry-After": "3"})] * 4)
    with pytest.raises(RateLimited) as e:
        http_gateway.get_subscriptions(tenant)
    assert e.value.retry_after == 3
    assert sleeps == [3.0, 3.0, 3.0]


def test_401_refreshes_the_token_once_and_retries(http_gateway, ms, tenant, tokens):
    ms.expire_tokens()
    assert http_gateway.get_subscriptions(tenant) == []
    assert tokens.refreshes == 1
    ms.expire_tokens()
    tokens.refresh = lambda: tokens.token  # the refresh gives no valid token
    with pytest.raises(GatewayError, match="HTTP 401"):
        http_gateway.get_subscriptions(tenant)


def test_business_errors_map_to_typed_errors(http_gateway, ms, tenant):
    with pytest.raises(ValidationFailed) as e:
        http_gateway.create_order(tenant, order("NOT-A-CATALOG-ID"), idempotency_key="o-x")
    assert "not a New Commerce product:sku id" in e.value.message
    ms.queue(Queued(400, {"code": 800002, "description": "Invalid request input"}))
    with pytest.raises(ValidationFailed) as e:
        http_gateway.get_subscriptions(tenant)
    assert (e.value.code, e.value.message) == (800002, "Invalid request input")
    ms.queue(Queued(404, "not json"))
    with pytest.raises(NotFound) as e:
        http_gateway.get_subscriptions(tenant)
    assert e.value.message == (
        f"Partner Center refused GET /v1/customers/{tenant}/subscriptions (HTTP 404)."
    )


def test_malformed_bodies_are_unavailable_with_a_clear_message(http_gateway, ms, tenant):
    ms.queue(Queued(200, "<html>Gateway maintenance</html>"))
    with pytest.raises(Unavailable) as e:
        http_gateway.get_customer(tenant)
    assert e.value.message == (
        f"Partner Center answered GET /v1/customers/{tenant} with a "
        f"malformed body (not JSON, HTTP 200)."
    )
    ms.queue(Queued(200, '{"items": [{"id": "x"}]}'))
    with pytest.raises(Unavailable, match="answer for the subscriptions was not understood"):
        http_gateway.get_subscriptions(tenant)


def test_5xx_exhausted_is_unavailable(http_gateway, ms, tenant, sleeps):
    ms.queue(*[Queued(500, {"code": 800003, "description": "Unexpected service error"})] * 4)
    with pytest.raises(Unavailable, match="Unexpected service error"):
        http_gateway.get_subscriptions(tenant)
    assert sleeps == [0.5, 1.0, 2.0]


def test_unreachable_server_is_unavailable(sleeps):
    gateway = HttpGateway(
        "http://127.0.0.1:9", "t", timeout=0.5, max_retries=2, sleep=sleeps.append
    )
    with pytest.raises(Unavailable, match="could not be reached"):
        gateway.get_customer("x")
    assert len(sleeps) == 2


def test_calls_are_logged_without_the_token(http_gateway, ms, tenant, tokens, caplog):
    ms.queue(Queued(503, {"code": 800003, "description": "Unexpected service error"}))
    with caplog.at_level(logging.INFO, logger="partner_center"):
        http_gateway.get_customer(tenant)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("partner_center")]
    assert all(tokens.token not in r.getMessage() for r in caplog.records)
    assert messages[0].startswith(f"partner_center GET /v1/customers/{tenant} status=503 ")
    assert " status=200 " in messages[1] and "attempt=2" in messages[1]
    assert all(tokens.token not in m for m in messages)
    assert tokens.token not in repr(http_gateway)


def test_retry_after_accepts_seconds_and_http_dates():
    assert _retry_after("12") == 12.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= _retry_after(later) <= 90


def test_get_gateway_follows_settings(settings):
    assert isinstance(get_gateway(), SandboxGateway)
    settings.PARTNER_CENTER_GATEWAY = "http"
    settings.PARTNER_CENTER_BASE_URL = "https://pc.example.test"
    settings.PARTNER_CENTER_MAX_RETRIES = 5
    gateway = get_gateway()
    assert isinstance(gateway, HttpGateway) and gateway.max_retries == 5
    settings.PARTNER_CENTER_GATEWAY = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured, match="carrier-pigeon"):
        get_gateway()


def test_a_stale_etag_is_read_again_once(http_gateway, ms, tenant):
    sub = http_gateway.create_order(tenant, order(E3, 5), idempotency_key="order:6")
    ms.queue(
        Queued(
            412,
            {"code": None, "description": "etag mismatch"},
            path=r"/subscriptions/[^/]+$",
            method="PATCH",
        )
    )
    assert (
        http_gateway.change_quantity(tenant, sub.subscription_id, 6, idempotency_key="q-2").quantity
        == 6
    )
    assert len(ms.calls("PATCH", r"/subscriptions/")) == 2


# --- New Commerce transfers on the wire ------------------------------------------------------


def _transfer_request(ids):
    from partner_center.types import TransferRequest

    return TransferRequest(
        source_partner_tenant_id="da6c51b5-1246-4a42-b4ab-cbf38df54537",
        source_partner_name="Fabrikam Cloud",
        customer_email="ada@contoso.example",
        subscription_ids=ids,
        partner_id_on_record="4847383",
    )


def test_a_transfer_request_carries_microsofts_new_commerce_fields(
    http_gateway, ms, tenant, settings
):
    """create-a-transfer (new commerce): the receiving partner names the source by its partner
    tenant GUID and name, the customer's e-mail, transferType NewCommerce; nothing else."""
    settings.PARTNER_CENTER_PROVIDER_TENANT_ID = "656218b1-80c9-40b2-83ae-3a2703b55271"
    http_gateway.create_transfer(tenant, _transfer_request(["s-1", "s-2"]), idempotency_key="t")
    (sent,) = ms.calls("POST", r"/transfers$")
    assert {k.lower() for k in sent.body} <= {f.lower() for f in fixtures.TRANSFER_NCE_FIELDS}
    assert sent.body["sourcePartnerTenantId"] == "da6c51b5-1246-4a42-b4ab-cbf38df54537"
    assert sent.body["sourcePartnerName"] == "Fabrikam Cloud"
    assert sent.body["customerEmailId"] == "ada@contoso.example"
    assert sent.body["targetPartnerTenantId"] == "656218b1-80c9-40b2-83ae-3a2703b55271"
    assert sent.body["transferType"] == "NewCommerce"
    assert sent.body["partnerOnRecord"] == "4847383"
    assert sent.body["lineItems"] == [{"subscriptionId": "s-1"}, {"subscriptionId": "s-2"}]
    assert "sourcePartnerId" not in sent.body  # the MPN ID is not how Microsoft names it


def test_microsofts_documented_transfer_answer_is_understood(http_gateway, ms, tenant):
    ms.queue(Queued(201, fixtures.TRANSFER_CREATED, path=r"/transfers$", method="POST"))
    info = http_gateway.create_transfer(tenant, _transfer_request(["s-1"]), idempotency_key="t")
    assert info.transfer_id == "67c5b05b-09b5-47ba-9047-5056fe2afa4f"
    assert info.status == "Active"
    assert info.created_at == datetime(2020, 3, 24, 20, 44, 14, 960278, tzinfo=UTC)
    assert info.subscription_ids == [
        "7291BFBF-1772-4C5B-A624-18B6152CD8CB",
        "6C0B221B-8DF9-4F4A-A5BB-4C9CBB7B27B0",
    ]
    assert info.tenant_id == "823c6c3f-9259-4d51-bae2-5dd06743177f"


def test_cancelling_a_transfer_patches_the_entity_with_status_cancel(http_gateway, ms, tenant):
    asked = http_gateway.create_transfer(tenant, _transfer_request(["s-1"]), idempotency_key="t")
    http_gateway.cancel_transfer(tenant, asked.transfer_id)
    (patch,) = ms.calls("PATCH", r"/transfers/")
    documented = fixtures.TRANSFER_CANCEL_REQUEST_START
    assert patch.body["status"] == documented["status"] == "Cancel"
    assert patch.body["id"] == asked.transfer_id
    assert patch.body["targetPartnerTenantId"] and patch.body["sourcePartnerTenantId"]


def test_accepting_gives_the_line_items_then_accepts(http_gateway, ms, tenant):
    sub = http_gateway.create_order(tenant, order(E3, 3), idempotency_key="o-acc")
    asked = http_gateway.create_transfer(
        tenant, _transfer_request([sub.subscription_id]), idempotency_key="t"
    )
    done = http_gateway.accept_transfer(
        tenant, asked.transfer_id, subscription_ids=[sub.subscription_id], idempotency_key="a"
    )
    assert done.status == "Completed"
    (patch,) = ms.calls("PATCH", r"/transfers/")
    (line,) = patch.body["lineItems"]
    assert (line["subscriptionId"], line["quantity"], line["termDuration"]) == (
        sub.subscription_id,
        3,
        "P1Y",
    )
    assert len(ms.calls("POST", r"/transfers/[^/]+/accept$")) == 1


def test_a_line_partner_center_refuses_is_a_conflict_with_its_reason(http_gateway, ms, tenant):
    from partner_center.errors import Conflict

    sub = http_gateway.create_order(tenant, order(E3, 3), idempotency_key="o-ref")
    asked = http_gateway.create_transfer(
        tenant, _transfer_request([sub.subscription_id]), idempotency_key="t"
    )
    ms.queue(Queued(200, fixtures.TRANSFER_ACCEPTED, path=r"/accept$", method="POST"))
    with pytest.raises(Conflict, match="SyncState must be SyncComplete"):
        http_gateway.accept_transfer(
            tenant, asked.transfer_id, subscription_ids=[sub.subscription_id], idempotency_key="a"
        )


def test_partner_center_has_no_daily_rated_usage_api(http_gateway, ms):
    """/v1/usage/dailyrated does not exist: usage is the Graph reconciliation export."""
    from partner_center.errors import NotSupported

    with pytest.raises(NotSupported, match="reconciliation export"):
        http_gateway.fetch_usage(start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert ms.seen == []


# --- Azure Reservations: Azure Resource Manager, not Partner Center -----------------------


def test_a_reservation_exchange_goes_to_azure_resource_manager(db):
    """calculateExchange and exchange are Microsoft.Capacity operations of Azure Resource
    Manager (learn.microsoft.com/rest/api/reserved-vm-instances/calculate-exchange/post): they
    go to its host with its token, the new reservation is read back from Partner Center."""
    import httpx

    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.url.path, request.headers["Authorization"]))
        if request.url.path.endswith("/calculateExchange"):
            return httpx.Response(
                200,
                json={
                    "status": "Succeeded",
                    "properties": {"sessionId": "66e2ac8f-439e-4345-8235-6fef07608081"},
                },
            )
        if request.url.path.endswith("/exchange"):
            return httpx.Response(
                200,
                json={
                    "status": "Succeeded",
                    "properties": {
                        "sessionId": "66e2ac8f-439e-4345-8235-6fef07608081",
                        "reservationsToPurchase": [{"reservationOrderId": "new-order"}],
                    },
                },
            )
        body = dict(fixtures.SUBSCRIPTION_NCE, id="new-order")
        return httpx.Response(200, json=body)

    gateway = HttpGateway(
        "https://api.partnercenter.example",
        "pc-token",
        arm_base_url="https://management.example",
        arm_tokens="arm-token",
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    )
    new = gateway.exchange_reservation(
        "t-1",
        "old-order",
        order("VM_D2s_v3", 1, term="P1Y", billing_frequency="monthly"),
        idempotency_key="x",
    )
    assert new.subscription_id == "new-order"
    assert seen == [
        (
            "management.example",
            "/providers/Microsoft.Capacity/calculateExchange",
            "Bearer arm-token",
        ),
        ("management.example", "/providers/Microsoft.Capacity/exchange", "Bearer arm-token"),
        (
            "api.partnercenter.example",
            "/v1/customers/t-1/subscriptions/new-order",
            "Bearer pc-token",
        ),
    ]


def test_the_resource_manager_host_comes_from_settings(settings):
    settings.PARTNER_CENTER_GATEWAY = "http"
    settings.AZURE_RESOURCE_MANAGER_BASE_URL = "https://arm.example.test"
    assert str(get_gateway()._arm.base_url) == "https://arm.example.test"
