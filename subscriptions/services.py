"""Catalog and price-book changes. Atomic, permission- and tenant-checked, audited."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit import audit
from portal.models import Currency
from portal.permissions import require, require_staff
from portal.tenancy import member_service, require_same_reseller
from subscriptions.catalog_csv import parse_catalog
from subscriptions.models import Offer, OfferPrice, PriceBook, PriceRule, ProductType, SeatCapGroup


@dataclass
class CatalogImportResult:
    offers_created: int
    offers_updated: int
    prices_created: int
    prices_updated: int


@transaction.atomic
def catalog_import(*, user, data: bytes, filename: str = "") -> CatalogImportResult:
    """Validate the whole file, then upsert offers and prices; a bad file writes nothing."""
    require_staff(user)
    types = {t.code: t for t in ProductType.objects.all()}
    caps = {c.code: c for c in SeatCapGroup.objects.all()}
    parsed = parse_catalog(data, product_types=set(types), cap_groups=set(caps),
                           currencies=set(Currency.values))
    if parsed.errors:
        raise ValidationError(parsed.errors)
    existing = {o.sku: o for o in Offer.objects.filter(sku__in=parsed.offers)}
    created = updated = 0
    for sku, row in parsed.offers.items():
        offer = existing.get(sku) or Offer(sku=sku)
        is_new = offer.pk is None
        offer.name = row["name"]
        offer.product_type = types[row["product_type"]]
        offer.terms, offer.billing_frequencies = row["terms"], row["billing_frequencies"]
        offer.min_quantity, offer.max_quantity = row["min_quantity"], row["max_quantity"]
        offer.cap_group = caps.get(row["cap_group"])
        offer.full_clean()
        offer.save()
        existing[sku] = offer
        created += is_new
        updated += not is_new
    prices_created = prices_updated = 0
    for p in parsed.prices:
        _, was_created = OfferPrice.objects.update_or_create(
            offer=existing[p["sku"]], term=p["term"], currency=p["currency"],
            effective_from=p["effective_from"], defaults={"cost": p["cost"]})
        prices_created += was_created
        prices_updated += not was_created
    result = CatalogImportResult(created, updated, prices_created, prices_updated)
    audit(actor=user, reseller=None, action="subscriptions.catalog.imported",
          data={"file": filename, **result.__dict__})
    return result


@member_service
def price_book_create(*, member, customer=None, name: str = "") -> PriceBook:
    require(member, "pricebooks.edit")
    if customer is not None:
        require_same_reseller(member, customer)
        if PriceBook.objects.filter(customer=customer).exists():
            raise ValidationError(f"{customer} already has its own price book.")
    elif PriceBook.objects.filter(reseller=member.reseller, customer__isnull=True).exists():
        raise ValidationError("The default price book exists already.")
    book = PriceBook(reseller=member.reseller, customer=customer,
                     name=name or (f"{customer} prices" if customer else "Default prices"))
    book.full_clean()
    book.save()
    audit(actor=member.user, reseller=member.reseller, action="subscriptions.pricebook.created",
          obj=book, data={"customer": str(customer) if customer else None})
    return book


@member_service
def price_rule_add(*, member, book: PriceBook, kind: str, effective_from: date,
                   offer: Offer | None = None, product_type: ProductType | None = None,
                   term: str = "", percent=None, fixed_price=None,
                   currency: str = "") -> PriceRule:
    """Rules are effective-dated and never edited: a new price is a new rule. A rule cannot
    start in the past, so a period already billed keeps its prices."""
    require(member, "pricebooks.edit")
    require_same_reseller(member, book)
    today = timezone.now().date()
    if effective_from < today:
        raise ValidationError(f"A price change cannot start in the past; choose {today} or "
                              "later.")
    rule = PriceRule(reseller=member.reseller, book=book, kind=kind, offer=offer,
                     product_type=product_type, term=term, percent=percent,
                     fixed_price=fixed_price,
                     currency=currency or (member.reseller.currency if kind == "fixed" else ""),
                     effective_from=effective_from)
    if offer is not None and term and term not in offer.term_list:
        raise ValidationError(f"{offer} is not sold with a {term} term.")
    rule.full_clean()
    rule.save()
    audit(actor=member.user, reseller=member.reseller, action="subscriptions.pricerule.added",
          obj=rule, data={"book": book.name, "rule": str(rule)})
    return rule


@member_service
def price_rule_remove(*, member, rule: PriceRule) -> None:
    require(member, "pricebooks.edit")
    require_same_reseller(member, rule)
    if rule.effective_from <= timezone.now().date():
        raise ValidationError("This rule is already in force and may have been billed; add a "
                              "new rule with a later date instead.")
    audit(actor=member.user, reseller=member.reseller, action="subscriptions.pricerule.removed",
          obj=rule, data={"book": rule.book.name, "rule": str(rule)})
    rule.delete()
