"""Form widgets."""

from django import forms
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    """Attributes as Django's django/forms/widgets/attrs.html writes them (False left out,
    True as a bare name), escaped."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _option(option: dict) -> SafeString:
    return format_html(
        '<option value="{}"{}>{}</option>',
        str(option["value"]),
        mark_safe(_attrs(option["attrs"])),  # noqa: S308 (escaped by _attrs)
        option["label"],
    )


class FastSelect(forms.Select):
    """A select whose options are written in Python in one pass. Django's Select renders a
    template per option (≈0.1 ms each): a reseller's 500 customers cost ≈50 ms a page. The
    HTML is the stock widget's (same attributes in the same order, `selected`, optgroups, the
    aria attributes a bound field adds)."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group, options, _ in context["optgroups"]:
            inner = "".join(_option(o) for o in options)
            parts.append(
                format_html('<optgroup label="{}">', group) + inner + "</optgroup>"
                if group
                else inner
            )
        attrs = _attrs({"name": context["name"], **context["attrs"]})
        # every value above went through escaping
        return mark_safe(f"<select{attrs}>{''.join(parts)}</select>")  # noqa: S308
