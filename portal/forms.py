from django import forms

from portal.models import Country, Currency, Reseller
from portal.roles import Role


class ResellerRegisterForm(forms.Form):
    name = forms.CharField(label="Company name", max_length=200)
    country = forms.ChoiceField(choices=Country.choices)
    currency = forms.ChoiceField(choices=Currency.choices,
                                 help_text="The currency you are billed in.")


class ResellerProfileForm(forms.ModelForm):
    class Meta:
        model = Reseller
        fields = ["name", "region", "partner_id", "mpa_accepted_on", "tenant_id", "logo",
                  "brand_colour", "accent_colour", "support_email", "support_phone",
                  "support_url"]
        widgets = {
            "mpa_accepted_on": forms.DateInput(attrs={"type": "date"}),
            "brand_colour": forms.TextInput(attrs={"type": "color"}),
            "accent_colour": forms.TextInput(attrs={"type": "color"}),
        }

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and logo.size > 1024 * 1024:
            raise forms.ValidationError("The logo must be at most 1 MB.")
        return logo


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
