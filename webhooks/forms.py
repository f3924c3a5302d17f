from django import forms

from webhooks.catalog import EVENT_TYPES, event_choices


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where the events are POSTed (https).",
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="What receives them, e.g. “HaloPSA”."
    )
    events = forms.MultipleChoiceField(
        choices=event_choices(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The events sent to this URL.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    descriptions = EVENT_TYPES
