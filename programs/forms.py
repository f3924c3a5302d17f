from django import forms


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(
        label="Reason (required to reject; the reseller sees it)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", "Give the reseller a reason for the rejection.")
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the reseller sees it)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
