from django import forms

from billing.insight.models import InsightSettings


class ThresholdsForm(forms.ModelForm):
    class Meta:
        model = InsightSettings
        fields = ["anomaly_score", "anomaly_min_amount", "anomaly_min_ratio"]
