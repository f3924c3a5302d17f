"""`{% render_widget w %}`: a widget an app contributes to a frame page (portal/frame.py),
rendered with the page's context plus the widget's own."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_widget(context, widget, partial=False):
    """Rendered in the page's own context (as `{% include %}` does), the widget's context on
    top: the context processors ran once for the page, not again for every widget (each run
    counted the unread notifications, one query per widget)."""
    name = widget.partial if partial and widget.partial else widget.template
    widget_template = context.template.engine.get_template(name)
    with context.push(widget.context):
        return widget_template.render(context)
