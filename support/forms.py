from django import forms

from portal.models import validate_one_line
from portal.widgets import NamedChoiceField
from support.attachments import ALLOWED_EXTENSIONS
from support.models import SupportPlan, Ticket


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by support.attachments in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ",".join(f".{e}" for e in ALLOWED_EXTENSIONS)}),
        )
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", f"Optional. Allowed: {', '.join(ALLOWED_EXTENSIONS)}.")
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class SupportPlanForm(forms.ModelForm):
    class Meta:
        model = SupportPlan
        fields = [
            "name",
            "description",
            "chat_url",
            "email",
            "phone",
            "hours",
            "response_urgent",
            "response_high",
            "response_normal",
            "response_low",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class TicketForm(forms.Form):
    subject = forms.CharField(max_length=200, validators=[validate_one_line])
    category = forms.ChoiceField(choices=Ticket.Category.choices)
    priority = forms.ChoiceField(
        choices=Ticket.Priority.choices,
        initial=Ticket.Priority.NORMAL,
        help_text="Urgent: production down. First response: urgent "
        "1 hour, high 4 hours, normal 1 business day.",
    )
    customer = NamedChoiceField(
        queryset=None, required=False, help_text="Optional: the customer this is about."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField()

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers


class ReplyForm(forms.Form):
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField()


class OpsReplyForm(ReplyForm):
    internal = forms.BooleanField(required=False, label="Internal note (not shown to the reseller)")


class OpsUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=Ticket.Status.choices)
    assigned_to = forms.ModelChoiceField(queryset=None, required=False, label="Assigned to")

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = staff
