from django import forms

from portal.colours import MIN_CONTRAST, contrast_on_white
from portal.models import Country, Currency, Reseller
from portal.roles import Role


class ResellerRegisterForm(forms.Form):
    name = forms.CharField(label="Company name", max_length=200)
    country = forms.ChoiceField(choices=Country.choices)
    currency = forms.ChoiceField(
        choices=Currency.choices, help_text="The currency you are billed in."
    )


class ResellerProfileForm(forms.ModelForm):
    class Meta:
        model = Reseller
        fields = [
            "name",
            "region",
            "partner_id",
            "mpa_accepted_on",
            "tenant_id",
            "logo",
            "brand_colour",
            "accent_colour",
            "support_email",
            "support_phone",
            "support_url",
        ]
        widgets = {
            "mpa_accepted_on": forms.DateInput(attrs={"type": "date"}),
            "brand_colour": forms.TextInput(attrs={"type": "color"}),
            "accent_colour": forms.TextInput(attrs={"type": "color"}),
        }

    def clean_brand_colour(self):
        colour = self.cleaned_data.get("brand_colour")
        if colour and contrast_on_white(colour) < MIN_CONTRAST:
            raise forms.ValidationError(
                f"{colour} is too light: its contrast on white is "
                f"{contrast_on_white(colour):.1f}:1, and buttons and links need at least "
                f"{MIN_CONTRAST}:1 to stay readable. Pick a darker shade."
            )
        return colour

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
