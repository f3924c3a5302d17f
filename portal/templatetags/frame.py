"""`{% render_widget w %}`: a widget an app contributes to a frame page (portal/frame.py),
rendered with the page's context plus the widget's own."""

from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def render_widget(context, widget, partial=False):
    name = widget.partial if partial and widget.partial else widget.template
    return render_to_string(
        name, {**context.flatten(), **widget.context}, request=context.get("request")
    )
