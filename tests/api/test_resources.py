"""Resources call the same services as the pages: idempotent purchase and seat changes,
the same refusals (as RFC 9457 problems), customers, catalog prices, billing documents."""

import uuid

import pytest
from django_scopes import scopes_disabled

from portal.roles import Role
from subscriptions import services as subscription_services
from subscriptions.models import Subscription
from tests.factories import CustomerFactory, InvoiceFactory
from tests.subscriptions.conftest import BASIC

pytestmark = pytest.mark.django_db

CUSTOMER = {
    "company_name": "Contoso Ltd",
    "primary_domain": "contoso.onmicrosoft.com",
    "country": "US",
    "currency": "USD",
    "address_line1": "1 Main St",
    "city": "Seattle",
    "region": "WA",
    "postal_code": "98101",
    "contact_first_name": "Ada",
    "contact_last_name": "Lovelace",
    "contact_email": "ada@contoso.example",
}


def _order(offer, customer, quantity=5):
    return {
        "customer": customer.pk,
        "offer": offer.pk,
        "term": "P1Y",
        "billing_frequency": "monthly",
        "quantity": quantity,
    }


def test_customer_create_update_send_mca_link_and_read_its_status(api_a, owner_a):
    created = api_a.post("/api/v1/customers/", CUSTOMER)
    assert created.status_code == 201, created.content
    customer_id = created.json()["id"]
    assert created.json()["mca_status"] == "not_sent"
    changed = api_a.patch(f"/api/v1/customers/{customer_id}/", {"city": "Redmond"})
    assert changed.status_code == 200 and changed.json()["city"] == "Redmond"
    sent = api_a.post(f"/api/v1/customers/{customer_id}/mca-link/")
    assert sent.status_code == 201 and sent.json()["sent_to"] == "ada@contoso.example"
    status = api_a.get(f"/api/v1/customers/{customer_id}/mca/").json()
    assert status["mca_status"] == "sent" and status["active_link"]["state"] == "active"
    assert status["acceptance"] is None


def test_a_duplicate_domain_is_the_services_refusal_as_a_problem(api_a):
    assert api_a.post("/api/v1/customers/", CUSTOMER).status_code == 201
    again = api_a.post("/api/v1/customers/", CUSTOMER)
    assert again.status_code == 422
    assert again["Content-Type"] == "application/problem+json"
    problem = again.json()
    assert problem["status"] == 422 and problem["code"] and problem["detail"]
    assert problem["type"].endswith(problem["code"])


def test_a_viewer_key_may_read_but_not_create(owner_a, api_for):
    viewer = api_for(owner_a, Role.VIEWER)
    assert viewer.get("/api/v1/customers/").status_code == 200
    refused = viewer.post("/api/v1/customers/", CUSTOMER)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "Your role may not do this" in refused.json()["detail"]


def test_post_without_idempotency_key_is_refused(api_a):
    response = api_a.generic("POST", "/api/v1/customers/", "{}", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"


def test_purchase_replayed_with_the_same_key_orders_once(api_a, owner_a, onboard, catalog):
    customer = onboard(owner_a)
    key = str(uuid.uuid4())
    first = api_a.post(
        "/api/v1/subscriptions/", _order(catalog[BASIC], customer), idempotency_key=key
    )
    assert first.status_code == 201, first.content
    again = api_a.post(
        "/api/v1/subscriptions/", _order(catalog[BASIC], customer), idempotency_key=key
    )
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    other = api_a.post(
        "/api/v1/subscriptions/", _order(catalog[BASIC], customer, quantity=6), idempotency_key=key
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    with scopes_disabled():
        assert Subscription.objects.filter(customer=customer).count() == 1
    body = first.json()
    assert body["quantity"] == 5 and body["offer_sku"] == BASIC
    assert body["unit_price"] and body["unit_cost"]  # an owner sees cost


def test_seat_change_replayed_with_the_same_key_changes_once(api_a, owner_a, onboard, catalog):
    customer = onboard(owner_a)
    sub_id = api_a.post("/api/v1/subscriptions/", _order(catalog[BASIC], customer)).json()["id"]
    subscription_services.subscription_provision(subscription_id=sub_id)
    key = str(uuid.uuid4())
    first = api_a.post(
        f"/api/v1/subscriptions/{sub_id}/seats/", {"quantity": 8}, idempotency_key=key
    )
    assert first.status_code == 200, first.content
    assert first.json()["detail"] == "3 seats added."
    assert first.json()["subscription"]["quantity"] == 8
    again = api_a.post(
        f"/api/v1/subscriptions/{sub_id}/seats/", {"quantity": 8}, idempotency_key=key
    )
    assert again.status_code == 200 and again.json() == first.json()
    with scopes_disabled():
        sub = Subscription.objects.get(pk=sub_id)
        assert sub.quantity == 8 and sum(b.quantity for b in sub.batches.all()) == 8
    # a new key is a new request: the service says the seats are already 8
    same = api_a.post(f"/api/v1/subscriptions/{sub_id}/seats/", {"quantity": 8})
    assert same.status_code == 422
    assert same.json()["detail"] == "The subscription already has 8 seats."


def test_purchase_before_the_mca_is_refused_with_the_pages_words(api_a, owner_a, catalog):
    customer = CustomerFactory(reseller=owner_a.reseller)
    response = api_a.post("/api/v1/subscriptions/", _order(catalog[BASIC], customer))
    assert response.status_code == 422
    assert response.json()["detail"] == f"MCA not accepted for {customer}."


def test_auto_renew_cancel_and_seat_assignments(api_a, owner_a, onboard, catalog):
    customer = onboard(owner_a)
    sub_id = api_a.post("/api/v1/subscriptions/", _order(catalog[BASIC], customer)).json()["id"]
    subscription_services.subscription_provision(subscription_id=sub_id)
    off = api_a.post(f"/api/v1/subscriptions/{sub_id}/auto-renew/", {"auto_renew": False})
    assert off.status_code == 200 and off.json()["subscription"]["auto_renew"] is False
    assigned = api_a.post(
        f"/api/v1/subscriptions/{sub_id}/assignments/",
        {"display_name": "Ada", "user_principal_name": "ada@contoso.example"},
    )
    assert assigned.status_code == 201, assigned.content
    listed = api_a.get(f"/api/v1/subscriptions/{sub_id}/assignments/").json()
    assert [a["user_principal_name"] for a in listed] == ["ada@contoso.example"]
    assert api_a.delete(f"/api/v1/seat-assignments/{assigned.json()['id']}/").status_code == 204
    cancelled = api_a.post(f"/api/v1/subscriptions/{sub_id}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["subscription"]["status"] == "cancelled"
    assert [
        s["id"] for s in api_a.get("/api/v1/subscriptions/?status=cancelled").json()["results"]
    ] == [sub_id]


def test_offer_with_cost_and_a_customers_price(api_a, owner_a, onboard, catalog, api_for):
    customer = onboard(owner_a)
    offer = catalog[BASIC]
    listed = api_a.get("/api/v1/catalog/offers/?page_size=200").json()["results"]
    row = next(o for o in listed if o["sku"] == BASIC)
    assert row["costs"] and row["costs"][0]["currency"] == "USD"
    price = api_a.get(
        f"/api/v1/catalog/offers/{offer.pk}/price/?customer={customer.pk}"
        "&term=P1Y&billing_frequency=monthly"
    )
    assert price.status_code == 200, price.content
    assert price.json()["currency"] == "USD" and price.json()["cost"] is not None
    viewer = api_for(owner_a, Role.VIEWER)
    assert (
        next(
            o
            for o in viewer.get("/api/v1/catalog/offers/?page_size=200").json()["results"]
            if o["sku"] == BASIC
        )["costs"]
        == []
    )


def test_invoices_need_a_money_role_and_list_by_cursor(owner_a, api_for):
    for _ in range(3):
        InvoiceFactory(run__reseller=owner_a.reseller)
    owner = api_for(owner_a)
    page = owner.get("/api/v1/invoices/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = owner.get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    assert api_for(owner_a, Role.SALES).get("/api/v1/invoices/").status_code == 403


def test_ticket_open_reply_and_thread(api_a):
    opened = api_a.post(
        "/api/v1/tickets/",
        {
            "subject": "Invoice question",
            "category": "billing",
            "description": "Why is line 3 there?",
        },
    )
    assert opened.status_code == 201, opened.content
    ticket_id = opened.json()["id"]
    assert (
        api_a.post(f"/api/v1/tickets/{ticket_id}/messages/", {"body": "Any news?"}).status_code
        == 201
    )
    thread = api_a.get(f"/api/v1/tickets/{ticket_id}/messages/").json()
    assert [m["body"] for m in thread] == ["Why is line 3 there?", "Any news?"]


def test_program_states(api_a):
    programs = api_a.get("/api/v1/programs/").json()
    assert programs and {"id", "name", "state", "refusal"} <= programs[0].keys()
