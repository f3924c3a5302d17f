from django import forms
from django.conf import settings


class UsageUploadForm(forms.Form):
    file = forms.FileField(
        label="Usage CSV",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text="Partner Center daily rated usage, UTF-8 CSV.",
    )

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
