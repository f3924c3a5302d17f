"""Catalog (product types, offers, prices) and price books.

Offer prices are the distributor's cost. `OfferPrice.cost` is the list price of the term's base
period: per month for P1M, per year for P1Y and P3Y. The price of one billing cycle follows from
it (`subscriptions.catalog.pricing.cycle_price`): an annual term billed monthly costs the annual
price ÷ 12 a month, a triennial upfront charge is three annual prices.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from customers.models import Customer
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
    reason = models.CharField(max_length=300, blank=True,
                              help_text="Shown when it is sunset or not supported.")
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
    billing_frequencies = models.CharField(max_length=40,
                                           help_text="Allowed, e.g. monthly,annual")
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(default=10000)
    cap_group = models.ForeignKey(SeatCapGroup, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="offers")
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
                f"Billing frequencies must be among {', '.join(BillingFrequency.values)}.")
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
    cost = models.DecimalField(max_digits=20, decimal_places=6,
                               validators=[MinValueValidator(0)])
    effective_from = models.DateField()

    class Meta:
        ordering = ["offer", "term", "currency", "-effective_from"]
        constraints = [models.UniqueConstraint(
            fields=["offer", "term", "currency", "effective_from"], name="one_price_per_date")]

    def __str__(self):
        return (f"{self.offer.sku} {self.term} {self.cost} {self.currency} "
                f"from {self.effective_from}")


class PriceBook(models.Model):
    """A reseller's prices to its customers: the default book, or one for a customer."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="price_books")
    name = models.CharField(max_length=100)
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="price_book",
                                    help_text="Empty: the reseller's default book.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["customer", "name"]
        constraints = [models.UniqueConstraint(
            fields=["reseller"], condition=models.Q(customer__isnull=True),
            name="one_default_price_book")]

    def __str__(self):
        return self.name


class PriceRule(models.Model):
    class Kind(models.TextChoices):
        MARKUP = "markup", "Markup % on cost"
        DISCOUNT = "discount", "Discount % off cost"
        FIXED = "fixed", "Fixed price"

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="+")
    book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="rules")
    product_type = models.ForeignKey(ProductType, on_delete=models.CASCADE, null=True,
                                     blank=True, related_name="+")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="+")
    term = models.CharField(max_length=3, choices=Term.choices, blank=True,
                            help_text="Empty: every term. A fixed price needs its term.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    fixed_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True,
                                      help_text="In the book's currency, same basis as the cost "
                                                "(per month for P1M, per year otherwise).")
    currency = models.CharField(max_length=3, choices=Currency.choices, blank=True)
    effective_from = models.DateField()

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["book", "-effective_from"]

    def __str__(self):
        target = self.offer or self.product_type or "everything"
        if self.term:
            target = f"{target} ({self.term})"
        value = self.fixed_price if self.kind == self.Kind.FIXED else f"{self.percent}%"
        return f"{self.get_kind_display()} {value} on {target} from {self.effective_from}"

    def clean(self):
        if self.offer_id and self.product_type_id:
            raise ValidationError("A rule applies to one offer or one product type, not both.")
        if self.kind == self.Kind.FIXED:
            if not self.offer_id or not self.term:
                raise ValidationError("A fixed price applies to one offer and one term: choose "
                                      "both.")
            if self.fixed_price is None or self.fixed_price < 0:
                raise ValidationError({"fixed_price": "Enter the fixed price (0 or more)."})
            if not self.currency:
                raise ValidationError({"currency": "Give the fixed price's currency."})
        else:
            if self.percent is None:
                raise ValidationError({"percent": "Enter the percentage."})
            if self.percent < 0 or (self.kind == self.Kind.DISCOUNT and self.percent > 100):
                raise ValidationError({"percent": "Percent must be 0–100 for a discount and "
                                                  "0 or more for a markup."})


class Subscription(models.Model):
    """A customer's subscription bought through the reseller (NCE, software subscription,
    perpetual licence, Reserved Instance or Azure plan). Prices of one billing cycle of one
    unit are locked at purchase and at each renewal."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        TRANSFERRED = "transferred", "Transferred away"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT,
                                 related_name="subscriptions")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="subscriptions")
    class Provisioning(models.TextChoices):
        PENDING = "pending", "Ordering from Partner Center"
        RETRYING = "retrying", "Retrying (Partner Center busy)"
        PROVISIONED = "provisioned", "Provisioned"
        FAILED = "failed", "Failed"

    # unique among rows not transferred away: a transfer keeps the source's row as history and
    # gives the target a new row with the same Partner Center ID. Empty until provisioned.
    partner_center_id = models.CharField("Partner Center subscription ID", max_length=64,
                                         null=True, blank=True, db_index=True)
    # the order is placed after the portal's transaction commits, in a Celery task
    provisioning = models.CharField(max_length=12, choices=Provisioning.choices,
                                    default=Provisioning.PROVISIONED)
    provisioning_error = models.CharField(max_length=500, blank=True)
    order_key = models.CharField("idempotency key of the order", max_length=64, blank=True)
    term = models.CharField(max_length=3, choices=Term.choices)
    billing_frequency = models.CharField(max_length=10, choices=BillingFrequency.choices)
    quantity = models.PositiveIntegerField()
    auto_renew = models.BooleanField(default=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    purchased_at = models.DateTimeField()
    term_start = models.DateField()
    term_end = models.DateField()
    # purchase or latest renewal instant: the 168-hour cancellation window runs from here
    window_opened_at = models.DateTimeField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    unit_cost = models.DecimalField("cost per unit and cycle", max_digits=20, decimal_places=6)
    unit_price = models.DecimalField("price per unit and cycle", max_digits=20, decimal_places=6)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    # which renewal reminder ("7" or "1" days before) went out for the current term
    renewal_reminder = models.CharField(max_length=2, blank=True, editable=False)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["customer__company_name", "offer__name", "pk"]
        indexes = [models.Index(fields=["reseller", "status", "term_end"]),
                   models.Index(fields=["customer", "status"])]
        constraints = [models.UniqueConstraint(
            fields=["reseller", "order_key"], condition=~models.Q(order_key=""),
            name="one_subscription_per_order"), models.UniqueConstraint(
            fields=["partner_center_id"], condition=~models.Q(status="transferred"),
            name="subscription_pc_id_unique_unless_transferred")]

    def __str__(self):
        return f"{self.offer.name} × {self.quantity} for {self.customer}"

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @property
    def is_provisioned(self):
        return self.provisioning == self.Provisioning.PROVISIONED


class SeatBatch(models.Model):
    """Seats added together (purchase, renewal or an increase). Each batch opens its own
    168-hour window in which its seats may be removed with a prorated credit."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="batches")
    quantity = models.PositiveIntegerField()
    opened_at = models.DateTimeField()

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["opened_at", "pk"]

    def __str__(self):
        return f"{self.quantity} seats added {self.opened_at:%Y-%m-%d %H:%M} UTC"


class ScheduledChange(models.Model):
    """Changes waiting for a date: fewer seats at renewal (`effective_on`, once their window
    has closed) and/or a shorter billing cycle from the next cycle (`frequency_from`, which is
    the renewal date when the current cycle ends with the term)."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    subscription = models.OneToOneField(Subscription, on_delete=models.CASCADE,
                                        related_name="scheduled_change")
    quantity = models.PositiveIntegerField(null=True, blank=True)
    effective_on = models.DateField(help_text="Renewal date: when the quantity applies.")
    billing_frequency = models.CharField(max_length=10, choices=BillingFrequency.choices,
                                         blank=True)
    frequency_from = models.DateField(null=True, blank=True,
                                      help_text="First day billed at the new frequency.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    def __str__(self):
        parts = [f"{self.quantity} seats from {self.effective_on}"] if self.quantity else []
        if self.billing_frequency:
            parts.append(f"billed {self.billing_frequency} from {self.frequency_from}")
        return ", ".join(parts)


class SeatAssignment(models.Model):
    """A named user holding one seat of a subscription."""

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="assignments")
    display_name = models.CharField(max_length=200)
    user_principal_name = models.EmailField("user principal name (UPN)")
    assigned_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["display_name"]
        constraints = [models.UniqueConstraint(fields=["subscription", "user_principal_name"],
                                               name="one_seat_per_user_per_subscription")]

    def __str__(self):
        return f"{self.display_name} <{self.user_principal_name}>"


class ChargeEvent(models.Model):
    """One line of the subscription ledger that billing prices and invoices: a cycle charge,
    a prorated seat change, a cancellation credit or a one-time purchase/refund. Amounts are
    signed (credits negative) and rounded to the currency's minor unit. `key` makes emitting
    the same charge twice impossible."""

    class Kind(models.TextChoices):
        CYCLE = "cycle", "Billing cycle"
        SEAT_INCREASE = "seat_increase", "Seats added (prorated)"
        SEAT_DECREASE = "seat_decrease", "Seats removed (prorated credit)"
        CANCEL = "cancel", "Cancellation credit"
        TERM_CHANGE = "term_change", "Term lengthened (prorated credit)"
        ONE_TIME = "one_time", "One-time purchase"
        REFUND = "refund", "Refund"
        TRANSFER_OUT = "transfer_out", "Transferred away (prorated credit)"
        TRANSFER_IN = "transfer_in", "Transferred in (prorated)"

    reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT,
                                     related_name="charges")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=120, unique=True)
    charge_date = models.DateField(help_text="Cycle start for cycle charges, the event date "
                                             "for adjustments: decides the billing period.")
    cycle_start = models.DateField()
    cycle_end = models.DateField()
    quantity = models.IntegerField()
    billing_days = models.PositiveIntegerField()
    cycle_days = models.PositiveIntegerField()
    unit_cost = models.DecimalField(max_digits=20, decimal_places=6)
    unit_price = models.DecimalField(max_digits=20, decimal_places=6)
    cost_amount = models.DecimalField(max_digits=20, decimal_places=2)
    price_amount = models.DecimalField(max_digits=20, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(reseller="reseller")

    class Meta:
        ordering = ["charge_date", "pk"]
        # with the pk: a report page reads a period's first rows in index order (LIMIT)
        indexes = [models.Index(fields=["reseller", "charge_date", "id"],
                                name="charge_reseller_date_pk")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.price_amount} {self.currency} ({self.charge_date})"


class Transfer(models.Model):
    """The target reseller's request to move a customer's subscriptions from its current
    provider (MPN/Partner ID). Each side sees it through its own scoped manager: `objects` for
    the target, `incoming` for a source reseller on the portal. An external source is decided
    by operations."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CANCELED = "canceled", "Canceled"
        EXPIRED = "expired", "Expired"
        FAILED = "failed", "Failed"

    MAX_ITEMS = 25

    target_reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="transfers",
                                 help_text="The target reseller's customer.")
    source_partner_id = models.CharField("current provider's MPN/Partner ID", max_length=10)
    source_reseller = models.ForeignKey(Reseller, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+",
                                        help_text="Empty: a provider outside the portal.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    partner_center_transfer_id = models.CharField(max_length=64, unique=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    failure_message = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, editable=False)

    objects = ScopedManager(reseller="target_reseller")
    incoming = ScopedManager(reseller="source_reseller")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["target_reseller", "status"]),
                   models.Index(fields=["source_reseller", "status"]),
                   models.Index(fields=["status", "expires_at"])]
        constraints = [models.UniqueConstraint(fields=["target_reseller", "idempotency_key"],
                                               name="one_transfer_per_request_key")]

    def __str__(self):
        return f"Transfer #{self.pk} of {self.customer} from {self.source_partner_id}"

    @property
    def is_pending(self):
        return self.status == self.Status.PENDING

    @property
    def is_external(self):
        return self.source_reseller_id is None


class TransferItem(models.Model):
    """One Partner Center subscription of a transfer. Reached only through its transfer (whose
    managers are scoped), as it belongs to both sides."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="items")
    partner_center_id = models.CharField("Partner Center subscription ID", max_length=64)
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    source_subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+")
    target_subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+")

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["transfer", "partner_center_id"],
                                               name="one_item_per_subscription_per_transfer")]

    def __str__(self):
        return f"{self.offer.name} × {self.quantity} ({self.partner_center_id})"
