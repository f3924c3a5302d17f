"""Catalog sync from Partner Center (products, SKUs, availabilities per country) on the
sandbox and on the HTTP gateway against the fake Microsoft Partner Center: offers get the
catalogItemId a cart line buys, written in bulk, again and again without duplicates."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from partner_center.errors import Unavailable
from partner_center.types import OrderRequest
from portal.models import AuditEvent
from subscriptions.catalog import sync
from subscriptions.catalog.models import CatalogSync, Offer, OfferAvailability
from tests.partner_center import conftest as pc

# the fake Partner Center's fixtures (tests/partner_center/conftest.py)
ms, pc_server, sleeps, tokens, http_gateway = (
    pc.ms,
    pc.pc_server,
    pc.sleeps,
    pc.tokens,
    pc.http_gateway,
)

BASIC = "CFQ7TTC0LH18:0001"


@pytest.mark.django_db
def test_a_sync_gives_each_offer_its_catalog_item_per_country(
    ops, catalog, django_capture_on_commit_callbacks, unscoped
):
    with django_capture_on_commit_callbacks(execute=True):
        run = sync.catalog_sync_start(user=ops, country="us")
    run.refresh_from_db()
    assert run.status == CatalogSync.Status.DONE and run.country == "US"
    nce = Offer.objects.filter(product_type__code="nce", is_active=True).count()
    assert (run.skus, run.offers_created, run.offers_updated) == (nce, 0, nce)
    basic = Offer.objects.get(sku=BASIC)
    (availability,) = OfferAvailability.objects.filter(offer=basic, country="US")
    assert availability.catalog_item_id.startswith(f"{BASIC}:")
    assert len(availability.catalog_item_id.split(":")) == 3
    assert "P1Y:monthly" in availability.terms
    assert (
        sync.catalog_item_id(basic, country="US", term="P1Y", frequency="monthly")
        == availability.catalog_item_id
    )
    assert sync.catalog_item_id(basic, country="CA", term="P1Y", frequency="monthly") == BASIC
    with django_capture_on_commit_callbacks(execute=True):
        sync.catalog_sync_start(user=ops, country="US")
    assert OfferAvailability.objects.filter(offer=basic).count() == 1  # again: no duplicates
    with unscoped():
        assert AuditEvent.objects.filter(action="subscriptions.catalog.synced").count() == 2


@pytest.mark.django_db
def test_only_operations_sync_and_only_known_countries(ops, owner_a):
    with pytest.raises(PermissionDenied):
        sync.catalog_sync_start(user=owner_a.user, country="US")
    with pytest.raises(ValidationError, match="country"):
        sync.catalog_sync_start(user=ops, country="FR")
    assert not CatalogSync.objects.exists()


def test_a_sync_over_http_creates_offers_from_microsofts_catalog_and_carts_use_them(
    db,
    ops,
    ms,
    http_gateway,
    monkeypatch,  # noqa: F811 -- fixtures
):
    """GET /v1/products?country&targetView, /skus, /availabilities (Microsoft's documented
    collections): a new SKU becomes a New Commerce offer; a purchase's cart line then buys the
    synced catalogItemId without looking the availability up again."""
    ms.products_catalog = {
        "OnlineServices": {
            "CFQ7TTC0LH18": (
                "Microsoft 365 Business Basic",
                [("0001", "M365 Business Basic", 1, 300)],
            )
        }
    }
    ms.catalog[("CFQ7TTC0LH18", "0001")] = "CFQ7TTC0K971"
    monkeypatch.setattr(sync, "get_gateway", lambda: http_gateway)
    run = CatalogSync.objects.create(country="US", target_view="OnlineServices")
    run = sync.catalog_sync_run(run.pk)
    assert (run.status, run.products, run.skus, run.offers_created) == ("done", 1, 1, 1)
    offer = Offer.objects.get(sku=BASIC)
    assert (offer.name, offer.product_type.code, offer.max_quantity) == (
        "M365 Business Basic",
        "nce",
        300,
    )
    assert offer.term_list == ["P1M", "P1Y", "P3Y"]
    item = sync.catalog_item_id(offer, country="US", term="P1Y", frequency="monthly")
    assert item == "CFQ7TTC0LH18:0001:CFQ7TTC0K971"
    assert [c.query for c in ms.calls("GET", r"^/v1/products$")] == [
        {"country": "US", "targetView": "OnlineServices"}
    ]

    tenant = http_gateway.create_customer(pc.customer_request(), idempotency_key="c").tenant_id
    http_gateway.attest_mca(tenant, pc.acceptance())
    looked_up = len(ms.calls("GET", r"/availabilities$"))
    http_gateway.create_order(
        tenant,
        OrderRequest(BASIC, "P1Y", "monthly", 3, catalog_item_id=item),
        idempotency_key="o-sync",
    )
    (cart,) = ms.calls("POST", r"/carts$")
    assert cart.body["lineItems"][0]["catalogItemId"] == item
    assert len(ms.calls("GET", r"/availabilities$")) == looked_up


def test_partner_center_down_leaves_the_sync_failed_with_its_reason(db, monkeypatch):
    class Down:
        def list_products(self, **kwargs):
            raise Unavailable("Partner Center did not answer GET /v1/products within 30 s.")

    monkeypatch.setattr(sync, "get_gateway", Down)
    run = CatalogSync.objects.create(country="US", target_view="OnlineServices")
    run = sync.catalog_sync_run(run.pk)
    assert run.status == CatalogSync.Status.FAILED
    assert "did not answer" in run.error and run.finished_at


@pytest.fixture
def settings_mfa_off(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.mark.django_db
def test_operations_start_a_sync_and_see_its_last_result(
    client, ops, catalog, settings_mfa_off, django_capture_on_commit_callbacks
):
    client.force_login(ops)
    url = reverse("subscriptions_ops:catalog_sync")
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, {"country": "CA"}, follow=True)
    assert "Catalog sync for CA started" in page.content.decode()
    assert 'data-testid="catalog-syncs"' in page.content.decode()
    (run,) = CatalogSync.objects.all()
    assert run.status == CatalogSync.Status.DONE
    assert ">CA<" in page.content.decode()


@pytest.mark.django_db
def test_the_daily_job_syncs_every_country(catalog):
    from subscriptions.tasks import sync_catalog

    assert sync_catalog() == ["US OnlineServices: done", "CA OnlineServices: done"]
    assert set(OfferAvailability.objects.values_list("country", flat=True)) == {"US", "CA"}
    assert CatalogSync.objects.filter(requested_by=None).count() == 2
