from django import forms
from django.conf import settings
from django_scopes import scopes_disabled

from portal.models import Reseller


class UsageUploadForm(forms.Form):
    file = forms.FileField(
        label="Usage CSV", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text="Partner Center daily rated usage, UTF-8 CSV.")

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".csv"):
            raise forms.ValidationError(f"“{f.name}” is not a .csv file.")
        return f

    @property
    def max_mb(self):
        return settings.USAGE_IMPORT_MAX_BYTES // (1024 * 1024)


class UsageFetchForm(forms.Form):
    start = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))


class RunStartForm(forms.Form):
    on_date = forms.DateField(label="A date in the period", widget=forms.DateInput(
        attrs={"type": "date"}), help_text="Each reseller's period containing this date "
                                           "(US calendar month, Canada 20th–19th).")
    reseller = forms.ModelChoiceField(queryset=Reseller.objects.order_by("name"), required=False,
                                      empty_label="All resellers")


class CreditNoteForm(forms.Form):
    reason = forms.CharField(max_length=300)
    lines = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple,
                                      help_text="The invoice lines to credit in full.")

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        with scopes_disabled():
            self.fields["lines"].choices = [
                (str(line.pk), f"{line.position}. {line.customer_name} — {line.description}: "
                               f"{line.amount}") for line in lines]
