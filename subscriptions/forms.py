from django import forms
from django.utils import timezone

from portal.idempotency import IdempotencyKeyField
from portal.models import Currency
from portal.widgets import FastSelect, NamedChoiceField
from subscriptions import rules
from subscriptions.catalog.models import BillingFrequency, Offer, PriceRule, ProductType, Term


class PriceRuleForm(forms.Form):
    TARGETS = [
        ("all", "Everything in this book"),
        ("product_type", "A product type"),
        ("offer", "One offer"),
    ]
    target = forms.ChoiceField(choices=TARGETS, initial="all")
    product_type = forms.ModelChoiceField(
        queryset=ProductType.objects.filter(status=ProductType.Status.SELLABLE), required=False
    )
    offer = forms.ModelChoiceField(
        queryset=Offer.objects.filter(is_active=True).select_related("product_type"), required=False
    )
    term = forms.ChoiceField(
        choices=[("", "Every term"), *Term.choices],
        required=False,
        help_text="A fixed price needs its term.",
    )
    kind = forms.ChoiceField(choices=PriceRule.Kind.choices, label="Rule")
    percent = forms.DecimalField(
        max_digits=7,
        decimal_places=3,
        required=False,
        help_text="For a markup or discount, e.g. 15 for 15 %.",
    )
    fixed_price = forms.DecimalField(
        max_digits=20,
        decimal_places=6,
        required=False,
        help_text="For a fixed price: per month for P1M offers, per year for P1Y/P3Y.",
    )
    currency = forms.ChoiceField(
        choices=[("", "The customer's (default book: yours)"), *Currency.choices],
        required=False,
        help_text="For a fixed price: its currency. It prices only customers billed in it.",
    )
    effective_from = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), initial=lambda: timezone.now().date()
    )

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == "offer" and not data.get("offer"):
            self.add_error("offer", "Choose the offer.")
        if target == "product_type" and not data.get("product_type"):
            self.add_error("product_type", "Choose the product type.")
        if target != "offer":
            data["offer"] = None
        if target != "product_type":
            data["product_type"] = None
        return data


class CustomerBookForm(forms.Form):
    customer = NamedChoiceField(queryset=None)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV, UTF-8. Columns: sku, name, product_type, terms, "
        "billing_frequencies, min_quantity, max_quantity, "
        "cap_group, term, currency, cost, effective_from."
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The catalog file may be at most 20 MB.")
        return f


class PurchaseForm(forms.Form):
    customer = NamedChoiceField(
        queryset=None, help_text="A customer not ready to order yet is told what it still lacks."
    )
    offer = forms.ModelChoiceField(queryset=None, widget=FastSelect)
    term = forms.ChoiceField(choices=Term.choices, initial=Term.P1Y)
    billing_frequency = forms.ChoiceField(
        choices=BillingFrequency.choices, initial="monthly", label="Billing"
    )
    quantity = forms.IntegerField(min_value=1, initial=1)
    auto_renew = forms.BooleanField(required=False, initial=True)
    idempotency_key = IdempotencyKeyField()

    def __init__(self, *args, customers, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["offer"].queryset = offers
        self.fields["offer"].label_from_instance = lambda o: f"{o.name} ({o.product_type.name})"


class SeatsForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, label="Seats")
    idempotency_key = IdempotencyKeyField()
    schedule = forms.BooleanField(required=False, widget=forms.HiddenInput)


class TermChangeForm(forms.Form):
    """Lengthen the term now: only the offer's longer terms are offered."""

    term = forms.ChoiceField(label="New term")
    billing_frequency = forms.ChoiceField(label="Billed")
    idempotency_key = IdempotencyKeyField()

    def __init__(self, *args, subscription, **kwargs):
        super().__init__(*args, **kwargs)
        offer, months = subscription.offer, rules.term_months(subscription.term)
        self.fields["term"].choices = [
            (t, Term(t).label) for t in offer.term_list if rules.term_months(t) > months
        ]
        self.fields["billing_frequency"].choices = [
            (f, BillingFrequency(f).label) for f in offer.frequency_list
        ]


class FrequencyForm(forms.Form):
    """Bill at another frequency that suits the term: from the next cycle where Microsoft's
    table allows it mid-term (P3Y monthly ↔ annual), otherwise from the renewal."""

    billing_frequency = forms.ChoiceField(label="Bill")

    def __init__(self, *args, subscription, **kwargs):
        super().__init__(*args, **kwargs)
        term_months = rules.term_months(subscription.term)
        self.fields["billing_frequency"].choices = [
            (f, BillingFrequency(f).label)
            for f in subscription.offer.frequency_list
            if f != subscription.billing_frequency and rules.cycle_months(f) <= term_months
        ]


class AssignForm(forms.Form):
    display_name = forms.CharField(max_length=200)
    user_principal_name = forms.EmailField(label="User principal name (UPN)")


class TransferStartForm(forms.Form):
    """Step 1 of a transfer request: whose subscriptions, from which provider."""

    customer = NamedChoiceField(
        queryset=None, help_text="Only customers with a Microsoft tenant ID can be chosen."
    )
    source_partner_id = forms.CharField(
        label="Current provider's MPN/Partner ID",
        max_length=10,
        help_text="6 to 10 digits; the provider approves or declines the request.",
    )
    source_partner_tenant_id = forms.CharField(
        label="Provider's partner tenant ID",
        required=False,
        max_length=36,
        help_text="A provider outside the portal only: its Partner Center tenant (GUID).",
    )
    source_partner_name = forms.CharField(
        label="Provider's name",
        required=False,
        max_length=200,
        help_text="A provider outside the portal only.",
    )
    customer_email = forms.EmailField(
        label="E-mail for Microsoft's transfer notice",
        required=False,
        help_text="The customer's; empty: its contact e-mail.",
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class TransferItemsForm(forms.Form):
    """Step 2: tick up to 25 of the subscriptions Partner Center lists for the customer."""

    subscription_ids = forms.MultipleChoiceField(
        label="Subscriptions to transfer",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one subscription."},
    )
    idempotency_key = IdempotencyKeyField()

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription_ids"].choices = choices


class TransferDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Needed to decline: the requesting reseller sees it.",
    )


class UpgradeForm(forms.Form):
    """Upgrade some or all seats to an offer Partner Center lists as eligible now."""

    offer = forms.ModelChoiceField(queryset=Offer.objects.none(), label="Upgrade to")
    quantity = forms.IntegerField(min_value=1, label="Seats to upgrade")
    idempotency_key = IdempotencyKeyField()

    def __init__(self, *args, offers=(), max_quantity: int | None = None, **kwargs):
        kwargs.setdefault("auto_id", "upgrade_%s")  # the seats form's ids are on the same page
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = Offer.objects.filter(
            pk__in=[o.pk for o in offers]
        ).order_by("name")
        if max_quantity:
            self.fields["quantity"].max_value = max_quantity
            self.fields["quantity"].widget.attrs["max"] = max_quantity
            self.fields["quantity"].help_text = (
                f"All {max_quantity}: a full upgrade; fewer: a partial one, into a new "
                "subscription with this one's cancellation window."
            )


class ExchangeForm(forms.Form):
    """Exchange a Reserved Instance for another (new commitment ≥ the remaining one)."""

    offer = forms.ModelChoiceField(queryset=Offer.objects.none(), label="New reservation")
    term = forms.ChoiceField(choices=Term.choices)
    billing_frequency = forms.ChoiceField(choices=BillingFrequency.choices, label="Billed")
    quantity = forms.IntegerField(min_value=1, label="Instances")
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = Offer.objects.filter(
            is_active=True, product_type__code="reserved-instance"
        ).order_by("name")
