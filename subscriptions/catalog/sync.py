"""Catalog sync from Partner Center: products, SKUs and their availabilities per country
(get-a-list-of-products, get-a-list-of-skus-for-a-product, get-a-list-of-availabilities-for-a-
sku), so each offer carries the catalogItemId (product:sku:availability) a cart line buys.

Operations start it for a country (`catalog_sync_start`); `catalog_sync_task` runs it in a
worker and records its outcome on the `CatalogSync` row the operations page shows. Offers are
written in bulk (one INSERT … ON CONFLICT for the offers, one for their availabilities): a new
SKU becomes an offer of the view's product type; an existing offer gets Partner Center's name,
quantities, terms and billing frequencies, and keeps what operations set (active, seat cap,
prices).
"""

from dataclasses import dataclass

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from partner_center.errors import GatewayError
from partner_center.gateway import get_gateway
from portal.audit import audit
from portal.permissions import require_staff
from subscriptions.catalog.models import (
    BillingFrequency,
    CatalogSync,
    Offer,
    OfferAvailability,
    ProductType,
    Term,
)
from subscriptions.catalog.pricing import PricingError, check_term_frequency

# Partner Center's target views (get-a-list-of-products) synced → the product type a new SKU
# of that view becomes.
TARGET_VIEWS = {"OnlineServices": "nce"}
COUNTRIES = ("US", "CA")


@dataclass(frozen=True)
class _Row:
    sku: str
    name: str
    min_quantity: int
    max_quantity: int
    terms: list[str]
    frequencies: list[str]


def _sold(availabilities) -> tuple[list[str], list[str]]:
    """The terms and billing frequencies the purchasable availabilities sell, in our order."""
    pairs = set()
    for a in availabilities:
        if not a.purchasable:
            continue
        for text in a.terms:
            term, _, cycle = text.partition(":")
            if term not in Term.values:
                continue
            cycles = [cycle] if cycle else list(BillingFrequency.values)
            for c in cycles:
                try:
                    check_term_frequency(term, c)
                except PricingError:
                    continue
                pairs.add((term, c))
    terms = [t for t in Term.values if any(p[0] == t for p in pairs)]
    frequencies = [f for f in BillingFrequency.values if any(p[1] == f for p in pairs)]
    return terms, frequencies


def catalog_sync_start(*, user, country: str, target_view: str = "OnlineServices") -> CatalogSync:
    """Operations ask for a sync of one country's catalog; it runs in a worker."""
    require_staff(user)
    country = (country or "").strip().upper()
    if country not in COUNTRIES:
        raise ValidationError(f"Choose a country among {', '.join(COUNTRIES)}.")
    if target_view not in TARGET_VIEWS:
        raise ValidationError(f"Partner Center's {target_view!r} catalog is not synced.")
    with transaction.atomic():
        run = CatalogSync.objects.create(
            country=country, target_view=target_view, requested_by=user
        )
        audit(
            actor=user,
            reseller=None,
            obj=run,
            action="subscriptions.catalog.sync_requested",
            data={"country": country, "target_view": target_view},
        )
        catalog_sync_task.delay_on_commit(run.pk)
    return run


def catalog_sync_all() -> list[str]:
    """Daily (beat): every country's New Commerce catalog, each run recorded as operations'
    are (no requester); the outcome of each."""
    outcomes = []
    for country in COUNTRIES:
        for view in TARGET_VIEWS:
            run = CatalogSync.objects.create(country=country, target_view=view)
            outcomes.append(f"{country} {view}: {catalog_sync_run(run.pk).status}")
    return outcomes


def catalog_sync_run(run_id: int) -> CatalogSync:
    """Read the country's catalog from Partner Center and write it in bulk; the outcome
    (counts, or Partner Center's error) is kept on the run."""
    run = CatalogSync.objects.get(pk=run_id)
    if run.status != CatalogSync.Status.RUNNING:
        return run  # a redelivered task: done already
    gateway = get_gateway()
    rows: list[_Row] = []
    found: dict[str, list] = {}
    skus_seen = availabilities_seen = 0
    try:
        products = gateway.list_products(country=run.country, target_view=run.target_view)
        for product in products:
            for sku in gateway.list_skus(product.product_id, country=run.country):
                skus_seen += 1
                offer_sku = f"{sku.product_id}:{sku.sku_id}"
                availabilities = gateway.list_availabilities(
                    sku.product_id, sku.sku_id, country=run.country
                )
                availabilities_seen += len(availabilities)
                terms, frequencies = _sold(availabilities)
                if not terms:
                    continue  # nothing purchasable on a term we sell
                found[offer_sku] = availabilities
                rows.append(
                    _Row(
                        sku=offer_sku,
                        name=sku.title[:200],
                        min_quantity=max(sku.min_quantity, 1),
                        max_quantity=max(sku.max_quantity, sku.min_quantity, 1),
                        terms=terms,
                        frequencies=frequencies,
                    )
                )
    except GatewayError as exc:
        run.status, run.error = CatalogSync.Status.FAILED, exc.message
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        return run
    with transaction.atomic():
        created, updated = _write(run, rows, found)
        run.products, run.skus, run.availabilities = len(products), skus_seen, availabilities_seen
        run.offers_created, run.offers_updated = created, updated
        run.status, run.finished_at = CatalogSync.Status.DONE, timezone.now()
        run.save()
        audit(
            actor=None,
            reseller=None,
            obj=run,
            action="subscriptions.catalog.synced",
            data={"country": run.country, "created": created, "updated": updated},
        )
    return run


def _write(run: CatalogSync, rows: list[_Row], found: dict[str, list]) -> tuple[int, int]:
    product_type = ProductType.objects.get(code=TARGET_VIEWS[run.target_view])
    existing = set(
        Offer.objects.filter(sku__in=[r.sku for r in rows]).values_list("sku", flat=True)
    )
    offers = Offer.objects.bulk_create(
        [
            Offer(
                sku=r.sku,
                name=r.name,
                product_type=product_type,
                terms=",".join(r.terms),
                billing_frequencies=",".join(r.frequencies),
                min_quantity=r.min_quantity,
                max_quantity=r.max_quantity,
            )
            for r in rows
        ],
        update_conflicts=True,
        unique_fields=["sku"],
        update_fields=["name", "terms", "billing_frequencies", "min_quantity", "max_quantity"],
    )
    ids = dict(Offer.objects.filter(sku__in=[o.sku for o in offers]).values_list("sku", "pk"))
    now = timezone.now()
    OfferAvailability.objects.bulk_create(
        [
            OfferAvailability(
                offer_id=ids[sku],
                country=run.country,
                availability_id=a.availability_id,
                catalog_item_id=a.catalog_item_id,
                terms=a.terms,
                purchasable=a.purchasable,
                synced_at=now,
            )
            for sku, availabilities in found.items()
            for a in availabilities
        ],
        update_conflicts=True,
        unique_fields=["offer", "country", "availability_id"],
        update_fields=["catalog_item_id", "terms", "purchasable", "synced_at"],
    )
    # availabilities Partner Center no longer lists for this country are gone
    OfferAvailability.objects.filter(offer_id__in=ids.values(), country=run.country).exclude(
        synced_at=now
    ).delete()
    return len(rows) - len(existing), len(existing)


def catalog_item_id(offer: Offer, *, country: str, term: str, frequency: str) -> str:
    """The catalogItemId a cart line buys for this offer, term and billing frequency in the
    customer's country, as the last sync found it; the offer's product:sku when none was
    synced (the gateway then looks the availability up)."""
    for availability in OfferAvailability.objects.filter(
        offer=offer, country=country.upper(), purchasable=True
    ):
        if availability.sells(term, frequency):
            return availability.catalog_item_id
    return offer.sku


def last_syncs():
    """The latest sync of each country and view, newest first (operations page)."""
    latest: dict[tuple[str, str], CatalogSync] = {}
    for run in CatalogSync.objects.select_related("requested_by").order_by("-started_at")[:50]:
        latest.setdefault((run.country, run.target_view), run)
    return list(latest.values())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def catalog_sync_task(run_id: int) -> str:
    with scopes_disabled():
        return catalog_sync_run(run_id).status
