from decimal import Decimal

from django import forms

from billing.insight.models import InsightSettings
from portal.widgets import FastSelect, NamedChoiceField


class ThresholdsForm(forms.ModelForm):
    class Meta:
        model = InsightSettings
        fields = ["anomaly_score", "anomaly_min_amount", "anomaly_min_ratio"]


class BudgetForm(forms.Form):
    customer = NamedChoiceField(queryset=None)
    subscription = forms.ModelChoiceField(
        queryset=None,
        required=False,
        widget=FastSelect,
        empty_label="All of the customer's Azure usage",
        help_text="Optionally one Azure plan subscription.",
    )
    amount = forms.DecimalField(
        label="monthly budget",
        max_digits=20,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="In the customer's currency.",
    )

    def __init__(self, *args, customers, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["subscription"].queryset = subscriptions
        self.fields["subscription"].label_from_instance = lambda s: (
            f"{s.customer} · {s.offer.name} · {s.partner_center_id or 'pending'}"
        )
