"""The Webhooks pages: owners and admins only, listed in the account menu, a foreign endpoint
answers 404, and the secret is shown once."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from portal.roles import Role
from tests import factories
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/psa"


def test_owner_adds_an_endpoint_and_sees_the_secret_once(owner_a, client_for):
    client = client_for(owner_a)
    assert reverse("webhooks:endpoints") in client.get(reverse("dashboard")).text
    response = client.post(
        reverse("webhooks:endpoints"),
        {"url": URL, "description": "HaloPSA", "events": ["customer.created"], "enabled": "on"},
    )
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret.startswith("whsec_") and secret in response.text
    again = client.get(reverse("webhooks:endpoints"))
    assert secret not in again.text and URL in again.text
    with scopes_disabled():
        endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.events, endpoint.description) == (["customer.created"], "HaloPSA")


def test_a_bad_url_is_shown_on_the_form(owner_a, client_for, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    response = client_for(owner_a).post(
        reverse("webhooks:endpoints"), {"url": URL, "events": ["customer.created"]}
    )
    assert response.status_code == 400
    assert "must start with https://" in response.text


def test_private_addresses_are_refused_in_production(owner_a, client_for, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = client_for(owner_a).post(
        reverse("webhooks:endpoints"),
        {"url": "http://169.254.169.254/latest/meta-data/", "events": ["customer.created"]},
    )
    assert response.status_code == 400
    assert "private or local address" in response.text


@pytest.mark.parametrize("role", [Role.SALES, Role.BILLING, Role.VIEWER])
def test_other_roles_may_not_manage_webhooks(reseller_a, member_of, client_for, role):
    client = client_for(member_of(reseller_a, role))
    assert client.get(reverse("webhooks:endpoints")).status_code == 403
    assert reverse("webhooks:endpoints") not in client.get(reverse("dashboard")).text


def test_another_resellers_endpoint_is_not_found(owner_a, owner_b, client_for):
    delivery = factories.WebhookDeliveryFactory(endpoint__reseller=owner_a.reseller)
    client = client_for(owner_b)
    kwargs = {"endpoint_id": delivery.endpoint_id}
    assert client.get(reverse("webhooks:endpoint", kwargs=kwargs)).status_code == 404
    assert client.post(reverse("webhooks:rotate", kwargs=kwargs)).status_code == 404
    assert client.post(reverse("webhooks:delete", kwargs=kwargs)).status_code == 404
    redeliver = reverse("webhooks:redeliver", kwargs={**kwargs, "delivery_id": delivery.pk})
    assert client.post(redeliver).status_code == 404


def test_disable_and_enable_again_on_the_page(owner_a, client_for):
    endpoint = factories.WebhookEndpointFactory(reseller=owner_a.reseller, url=URL)
    client = client_for(owner_a)
    page = reverse("webhooks:endpoint", kwargs={"endpoint_id": endpoint.pk})
    response = client.post(page, {"url": URL, "events": ["customer.created"]})  # unticked
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "Disabled by a member."
    client.post(page, {"url": URL, "events": ["customer.created"], "enabled": "on"})
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.disabled_reason == ""
