from django import forms

from customers.gdap import roles
from partner_center.gdap import MAX_DAYS


class RelationshipRequestForm(forms.Form):
    role_ids = forms.MultipleChoiceField(
        label="Roles",
        choices=[(r.id, f"{r.name}: {r.does}") for r in roles.ROLES],
        widget=forms.CheckboxSelectMultiple,
        initial=list(roles.DEFAULTS),
        help_text="Ask only for what you need (least privilege).",
    )
    days = forms.IntegerField(
        label="Duration (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=MAX_DAYS,
        help_text=f"At most {MAX_DAYS} days (two years).",
    )
    auto_extend = forms.BooleanField(
        label="Auto-extend by 180 days at the end",
        required=False,
        initial=True,
        help_text="Not available with the Global Administrator role.",
    )
    security_group_id = forms.UUIDField(
        label="Your security group (object ID)",
        required=False,
        help_text="The group in your tenant whose members get these roles once the customer "
        "approves. Empty: assign access later in Partner Center.",
    )

    def clean(self):
        data = super().clean()
        if data.get("auto_extend") and not roles.auto_extend_allowed(data.get("role_ids") or ()):
            self.add_error(
                "auto_extend",
                "Microsoft does not auto-extend a relationship with the Global Administrator role.",
            )
        return data
