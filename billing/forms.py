from django import forms
from django_scopes import scopes_disabled

from portal.models import Reseller
from portal.widgets import FastSelect


class RunStartForm(forms.Form):
    on_date = forms.DateField(
        label="A date in the period",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Each reseller's period containing this date "
        "(US calendar month, Canada 20th–19th).",
    )
    reseller = forms.ModelChoiceField(
        queryset=Reseller.objects.order_by("name"),
        required=False,
        empty_label="All resellers",
        widget=FastSelect,
    )


class CreditNoteForm(forms.Form):
    reason = forms.CharField(max_length=300)
    lines = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, help_text="The invoice lines to credit in full."
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        with scopes_disabled():
            self.fields["lines"].choices = [
                (
                    str(line.pk),
                    f"{line.position}. {line.customer_name} — {line.description}: {line.amount}",
                )
                for line in lines
            ]
