"""FastSelect writes the same HTML as Django's Select, whatever the field's state."""

import pytest
from django import forms

from portal.widgets import FastSelect

CHOICES = [
    ("", "---------"),
    ('a"<b>', "Fabrikam & Sons <Ltd>"),
    ("Azure", [("g1", "Azure plan"), ("g2", "Reserved VM")]),
    ("x", "Contoso"),
]


class Stock(forms.Form):
    pick = forms.ChoiceField(choices=CHOICES, help_text="Pick one.")
    optional = forms.ChoiceField(choices=CHOICES[1:], required=False, disabled=True)


class Fast(forms.Form):
    pick = forms.ChoiceField(choices=CHOICES, help_text="Pick one.", widget=FastSelect)
    optional = forms.ChoiceField(
        choices=CHOICES[1:], required=False, disabled=True, widget=FastSelect
    )


def stock_html(bound) -> str:
    """Django's template output without the template's line breaks and indentation."""
    return "".join(line.strip() for line in str(bound).splitlines())


@pytest.mark.parametrize(
    "data",
    [None, {"pick": "g2"}, {"pick": 'a"<b>'}, {"pick": "unknown"}, {}],
    ids=["unbound", "in a group", "escaped value", "invalid (aria-invalid)", "missing"],
)
def test_same_html_as_djangos_select(data):
    stock, fast = Stock(data), Fast(data)
    if data is not None:
        stock.is_valid()
        fast.is_valid()
    for name in ("pick", "optional"):
        assert str(fast[name]) == stock_html(stock[name])
    assert "&lt;Ltd&gt;" in str(fast["pick"])
    if data and data["pick"] == "unknown":
        assert 'aria-invalid="true"' in str(fast["pick"])


def test_model_choices_keep_the_chosen_customer_selected(db):
    from django_scopes import scopes_disabled

    from customers.models import Customer
    from tests.factories import CustomerFactory

    chosen = CustomerFactory(company_name="Adatum")
    CustomerFactory(company_name="Northwind", reseller=chosen.reseller)

    with scopes_disabled():

        class Form(forms.Form):
            customer = forms.ModelChoiceField(queryset=Customer.objects.all(), widget=FastSelect)

        html = str(Form({"customer": chosen.pk})["customer"])
    assert f'<option value="{chosen.pk}" selected>Adatum</option>' in html
    assert ">Northwind</option>" in html


def test_named_choices_list_the_same_customers_without_a_model_instance_each(db):
    from django_scopes import scopes_disabled

    from customers.models import Customer
    from portal.widgets import NamedChoiceField
    from tests.factories import CustomerFactory

    chosen = CustomerFactory(company_name="Adatum & Co")
    CustomerFactory(company_name="Northwind", reseller=chosen.reseller)
    with scopes_disabled():
        customers = Customer.objects.order_by("company_name")

        class Stock(forms.Form):
            customer = forms.ModelChoiceField(queryset=customers, widget=FastSelect)

        class Named(forms.Form):
            customer = NamedChoiceField(queryset=customers)

        for data in (None, {"customer": chosen.pk}, {"customer": "0"}):
            stock, named = Stock(data), Named(data)
            assert str(named["customer"]) == str(stock["customer"])
            if data:
                assert named.is_valid() == stock.is_valid()
        assert Named({"customer": chosen.pk}).is_valid()
        form = Named({"customer": chosen.pk})
        form.is_valid()
        assert form.cleaned_data["customer"] == chosen  # the row itself, as before
