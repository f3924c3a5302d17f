from django import forms

from customers.models import Customer


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = [
            "company_name",
            "primary_domain",
            "country",
            "currency",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "contact_first_name",
            "contact_last_name",
            "contact_email",
            "contact_phone",
        ]
        help_texts = {
            "primary_domain": "The tenant's domain, e.g. contoso.onmicrosoft.com.",
        }

    def __init__(self, *args, reseller=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reseller is not None and not self.instance.pk:
            self.initial.setdefault("country", reseller.country)
            self.initial.setdefault("currency", reseller.currency)

    def clean_primary_domain(self):
        return self.cleaned_data["primary_domain"].strip().lower()

    def validate_unique(self):
        # the reseller is set by the service, which checks uniqueness per reseller
        pass


class McaAcceptForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(label="E-mail")
    phone = forms.CharField(max_length=40, required=False, label="Phone (optional)")
    accept = forms.BooleanField(
        required=True,
        label="I accept the Microsoft Customer Agreement on behalf of my "
        "organisation and am authorised to do so.",
        error_messages={"required": "Tick the box to accept the Microsoft Customer Agreement."},
    )


class MarkLoggedForm(forms.Form):
    reference = forms.CharField(max_length=200, label="Partner Center reference")


class TenantRelinkForm(forms.Form):
    tenant_id = forms.UUIDField(
        label="Microsoft tenant ID", required=False, help_text="Empty: unlink the tenant."
    )
    reason = forms.CharField(
        label="Reason (kept in the audit trail)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
