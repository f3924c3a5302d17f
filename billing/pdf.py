"""Invoice, credit-note and customer-statement PDFs (WeasyPrint). Rendering only; storing is a
service's job."""

import base64
import mimetypes
from decimal import Decimal
from itertools import groupby

import pygal
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from pygal.etree import etree
from pygal.style import Style
from weasyprint import HTML

MARKETPLACE_NOTICE = (
    "Azure Marketplace one-time charges are not included: they come on a separate invoice."
)

# Printed 1:1: a chart 460 px wide is 122 mm (CSS px), so font sizes below are the sizes on paper.
CHART_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#222",
    foreground_subtle="#ddd",
    colors=("#9dbbe0",),
    opacity="1",
    opacity_hover="1",
    font_family="sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=10,
)


def group_by_product_type(lines, amount) -> list[dict]:
    """[{product_type, lines, subtotal}] in product-type order; `amount(line)` is the line's
    money (cost on invoices, price on statements)."""
    groups = []
    for product_type, items in groupby(
        sorted(lines, key=lambda x: x.product_type), key=lambda x: x.product_type
    ):
        items = list(items)
        groups.append(
            {
                "product_type": product_type or "Other",
                "lines": items,
                "subtotal": sum((amount(i) for i in items), Decimal(0)),
            }
        )
    return groups


def amount_chart(groups) -> str:
    """Horizontal bar chart of the subtotal per product type, as inline SVG for WeasyPrint
    (pygal: no JavaScript, no XML declaration). Bar lengths are floats; the printed values are
    the Decimal subtotals themselves."""
    chart = pygal.HorizontalBar(
        width=460,
        height=40 + 32 * len(groups),
        style=CHART_STYLE,
        js=[],
        margin=6,
        disable_xml_declaration=True,
        show_legend=False,
        show_x_labels=False,
        show_x_guides=False,
        show_y_guides=False,
        print_values=True,
        print_values_position="top",
        truncate_label=-1,
    )
    groups = groups[::-1]  # pygal draws the first label at the bottom
    chart.x_labels = [_short(g["product_type"]) for g in groups]
    chart.add(
        "",
        [
            {"value": float(g["subtotal"]), "formatter": lambda _v, text=f"{g['subtotal']:,}": text}
            for g in groups
        ],
    )
    tree = chart.render_tree()
    for parent in tree.iter():  # pygal's configuration script for its browser JS: not in a PDF
        for child in list(parent):
            if str(child.tag).endswith("script"):
                parent.remove(child)
    # pygal's own SVG, labels escaped by the serializer
    return mark_safe(etree.tostring(tree, encoding="unicode"))  # noqa: S308


def _short(label: str, limit: int = 32) -> str:
    """A product type as a chart label: without its parenthesis ("New Commerce licence-based
    (Microsoft 365, …)"), at most `limit` characters; the table above has the full name."""
    label = label.split(" (")[0]
    return label if len(label) <= limit else label[: limit - 1] + "…"


def document_context(doc) -> dict:
    from billing.selectors import document_lines

    lines = document_lines(doc)
    return {
        "doc": doc,
        "groups": group_by_product_type(lines, lambda x: x.amount),
        "is_credit_note": hasattr(doc, "invoice_id"),
        "notice": MARKETPLACE_NOTICE,
    }


def document_html(doc) -> str:
    context = document_context(doc)
    if context["groups"]:
        context["chart"] = amount_chart(context["groups"])
    return render_to_string("billing/pdf/document.html", context)


def reseller_address(reseller) -> str:
    """The reseller's contact block as printed on documents (it has no postal address)."""
    return "\n".join(
        x
        for x in (reseller.support_email, reseller.support_phone, reseller.get_country_display())
        if x
    )


def _data_uri(field_file) -> str:
    """An image from storage inlined (any storage backend; WeasyPrint fetches nothing)."""
    with field_file.open("rb") as f:
        data = base64.b64encode(f.read()).decode()
    mime = mimetypes.guess_type(field_file.name)[0] or "image/png"
    return f"data:{mime};base64,{data}"


def statement_html(*, statement, lines) -> str:
    """One section per currency (a customer is normally billed in one): the lines at the
    customer's price grouped by product type, a chart and the total."""
    sections = []
    for currency, items in groupby(
        sorted(lines, key=lambda x: x.currency), key=lambda x: x.currency
    ):
        groups = group_by_product_type(list(items), lambda x: x.price_amount)
        sections.append(
            {
                "currency": currency,
                "groups": groups,
                "chart": amount_chart(groups),
                "total": sum((g["subtotal"] for g in groups), Decimal(0)),
            }
        )
    reseller = statement.reseller
    return render_to_string(
        "billing/pdf/statement.html",
        {
            "statement": statement,
            "reseller": reseller,
            "customer": statement.customer,
            "reseller_address": reseller_address(reseller),
            "logo": _data_uri(reseller.logo) if reseller.logo else "",
            "sections": sections,
            "notice": MARKETPLACE_NOTICE,
        },
    )


def to_pdf(html: str) -> bytes:
    return HTML(string=html).write_pdf()


def render_document(doc) -> bytes:
    return to_pdf(document_html(doc))


def render_statement(*, statement, lines) -> bytes:
    return to_pdf(statement_html(statement=statement, lines=lines))
