from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from customers.models import Customer
from portal import numbers
from portal.models import Currency, Reseller


class Term(models.TextChoices):
    P1M = "P1M", "1 month"
    P1Y = "P1Y", "1 year"
    P3Y = "P3Y", "3 years"


class BillingFrequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    ANNUAL = "annual", "Annual (upfront)"
    TRIENNIAL = "triennial", "Triennial (upfront)"


class ProductType(models.Model):
    class Status(models.TextChoices):
        SELLABLE = "sellable", "Sellable"
        SUNSET = "sunset", "Sunset (shown, not sellable)"
        UNSUPPORTED = "unsupported", "Not supported"

    class Billing(models.TextChoices):
        SEATS = "seats", "Seats, billed in advance"
        USAGE = "usage", "Usage, billed in arrears"
        ONE_TIME = "one_time", "One-time purchase"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=12, choices=Status.choices)
    billing = models.CharField(max_length=10, choices=Billing.choices)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Shown when it is sunset or not supported."
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class SeatCapGroup(models.Model):
    """Offers whose seats count together against one per-customer-tenant cap."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    max_seats = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.name} (≤ {self.max_seats} seats per tenant)"


class Offer(models.Model):
    sku = models.CharField("SKU", max_length=80, unique=True)
    name = models.CharField(max_length=200)
    product_type = models.ForeignKey(ProductType, on_delete=models.PROTECT, related_name="offers")
    terms = models.CharField(max_length=20, help_text="Allowed terms, e.g. P1M,P1Y,P3Y")
    billing_frequencies = models.CharField(max_length=40, help_text="Allowed, e.g. monthly,annual")
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(default=10000)
    cap_group = models.ForeignKey(
        SeatCapGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="offers"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["product_type__sort_order", "name"]

    def __str__(self):
        return self.name

    @property
    def term_list(self) -> list[str]:
        return [t for t in self.terms.split(",") if t]

    @property
    def frequency_list(self) -> list[str]:
        return [f for f in self.billing_frequencies.split(",") if f]

    def clean(self):
        errors = {}
        bad_terms = set(self.term_list) - set(Term.values)
        if bad_terms or not self.term_list:
            errors["terms"] = f"Terms must be among {', '.join(Term.values)}."
        bad_freq = set(self.frequency_list) - set(BillingFrequency.values)
        if bad_freq or not self.frequency_list:
            errors["billing_frequencies"] = (
                f"Billing frequencies must be among {', '.join(BillingFrequency.values)}."
            )
        if self.min_quantity > self.max_quantity:
            errors["max_quantity"] = "The maximum quantity is below the minimum."
        if errors:
            raise ValidationError(errors)


class OfferPrice(models.Model):
    """Distributor cost of an offer for a term, from a date on (per month for P1M, per year
    for P1Y/P3Y)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="prices")
    term = models.CharField(max_length=3, choices=Term.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    cost = models.DecimalField(max_digits=20, decimal_places=6, validators=[MinValueValidator(0)])
    effective_from = models.DateField()

    class Meta:
        ordering = ["offer", "term", "currency", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "term", "currency", "effective_from"], name="one_price_per_date"
            )
        ]

    def __str__(self):
        cost = numbers.unit_price(self.cost, self.currency)
        return f"{self.offer.sku} {self.term} {cost} from {self.effective_from}"


class PriceBook(models.Model):
    """A reseller's prices to its customers: the default book, or one for a customer."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="price_books")
    name = models.CharField(max_length=100)
    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="price_book",
        help_text="Empty: the reseller's default book.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["customer", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller"],
                condition=models.Q(customer__isnull=True),
                name="one_default_price_book",
            )
        ]

    def __str__(self):
        return self.name


class PriceRule(models.Model):
    class Kind(models.TextChoices):
        MARKUP = "markup", "Markup % on cost"
        DISCOUNT = "discount", "Discount % off cost"
        FIXED = "fixed", "Fixed price"

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="rules")
    product_type = models.ForeignKey(
        ProductType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    term = models.CharField(
        max_length=3,
        choices=Term.choices,
        blank=True,
        help_text="Empty: every term. A fixed price needs its term.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    fixed_price = models.DecimalField(
        max_digits=20,
        decimal_places=6,
        null=True,
        blank=True,
        help_text="In the book's currency, same basis as the cost "
        "(per month for P1M, per year otherwise).",
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, blank=True)
    effective_from = models.DateField()

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["book", "-effective_from"]

    def __str__(self):
        target = self.offer or self.product_type or "everything"
        if self.term:
            target = f"{target} ({self.term})"
        if self.kind == self.Kind.FIXED:
            currency = self.currency or self.reseller.currency
            rule = f"Fixed price {numbers.unit_price(self.fixed_price, currency)}"
        elif self.kind == self.Kind.MARKUP:
            rule = f"Markup {numbers.percent(self.percent)} on cost"
        else:
            rule = f"Discount {numbers.percent(self.percent)} off cost"
        return f"{rule} for {target} from {self.effective_from:%Y-%m-%d}"

    def clean(self):
        if self.offer_id and self.product_type_id:
            raise ValidationError("A rule applies to one offer or one product type, not both.")
        if self.kind == self.Kind.FIXED:
            if not self.offer_id or not self.term:
                raise ValidationError(
                    "A fixed price applies to one offer and one term: choose both."
                )
            if self.fixed_price is None or self.fixed_price < 0:
                raise ValidationError({"fixed_price": "Enter the fixed price (0 or more)."})
            if not self.currency:
                raise ValidationError({"currency": "Give the fixed price's currency."})
        else:
            if self.percent is None:
                raise ValidationError({"percent": "Enter the percentage."})
            if self.percent < 0 or (self.kind == self.Kind.DISCOUNT and self.percent > 100):
                raise ValidationError(
                    {"percent": "Percent must be 0–100 for a discount and 0 or more for a markup."}
                )


class OfferAvailability(models.Model):
    """Partner Center's availability of an offer in a country, from the catalog sync
    (get-a-list-of-availabilities-for-a-sku): its catalogItemId (product:sku:availability) is
    what a cart line buys; `terms` are the "duration:billingCycle" pairs it sells (an empty
    cycle: any the term allows)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="availabilities")
    country = models.CharField(max_length=2)
    availability_id = models.CharField(max_length=64)
    catalog_item_id = models.CharField(max_length=200)
    terms = models.JSONField(default=list)
    purchasable = models.BooleanField(default=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["offer", "country", "availability_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "country", "availability_id"], name="one_row_per_availability"
            )
        ]

    def __str__(self):
        return f"{self.catalog_item_id} ({self.country})"

    def sells(self, term: str, frequency: str) -> bool:
        return f"{term}:{frequency}" in self.terms or f"{term}:" in self.terms


class CatalogSync(models.Model):
    """One catalog sync from Partner Center (a country and target view), its outcome shown to
    operations."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    country = models.CharField(max_length=2)
    target_view = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    requested_by = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    products = models.PositiveIntegerField(default=0)
    skus = models.PositiveIntegerField(default=0)
    availabilities = models.PositiveIntegerField(default=0)
    offers_created = models.PositiveIntegerField(default=0)
    offers_updated = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"Catalog sync {self.country} {self.target_view} ({self.status})"
