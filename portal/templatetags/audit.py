"""`{{ event|audit_phrase }}`: what an audit event did, as the activity pages say it."""

from django import template

from portal.audit import phrase

register = template.Library()


@register.filter
def audit_phrase(action: str) -> str:
    return phrase(action)
