"""Invoice, credit-note and customer-statement PDFs (WeasyPrint). Rendering only; storing is a
service's job."""

import base64
import mimetypes
from collections import defaultdict
from decimal import Decimal
from itertools import groupby

import pygal
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from pygal.etree import etree
from pygal.style import Style
from weasyprint import HTML, Attachment

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


def document_context(doc, lines=None) -> dict:
    from billing.selectors import document_lines

    lines = document_lines(doc) if lines is None else lines
    return {
        "doc": doc,
        "groups": group_by_product_type(lines, lambda x: x.amount),
        "is_credit_note": hasattr(doc, "invoice_id"),
        "notice": MARKETPLACE_NOTICE,
    }


def document_html(doc, lines=None) -> str:
    """Every line of the document, by product type (credit notes; an invoice's detail PDF)."""
    context = document_context(doc, lines)
    if context["groups"]:
        context["chart"] = amount_chart(context["groups"])
    return render_to_string("billing/pdf/document.html", context)


# An invoice PDF lists its lines up to this many; above, it shows the totals per customer and
# product type (a few pages however many lines) and carries the lines as CSV and XLSX files.
SUMMARY_LINES = 40


def customer_totals(lines, amount) -> tuple[list[str], list[dict]]:
    """(product types, [{customer, amounts (one per product type, None where none), total}])
    by customer name: the invoice summary's table of totals per customer and product type."""
    types = sorted({x.product_type or "Other" for x in lines})
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for x in lines:
        sums[x.customer_name][x.product_type or "Other"] += amount(x)
    rows = [
        {
            "customer": name,
            "amounts": [per.get(t) for t in types],
            "total": sum(per.values(), Decimal(0)),
        }
        for name, per in sorted(sums.items(), key=lambda item: (item[0].casefold(), item[0]))
    ]
    return types, rows


def invoice_summary_html(invoice, lines) -> str:
    """An invoice as people read it at any size: totals per product type (with the chart),
    subtotal, taxes and total; the lines themselves up to SUMMARY_LINES, else the totals per
    customer and product type, with the lines in the attached files."""
    groups = group_by_product_type(lines, lambda x: x.amount)
    types, customers = customer_totals(lines, lambda x: x.amount)
    return render_to_string(
        "billing/pdf/invoice.html",
        {
            "doc": invoice,
            "groups": groups,
            "chart": amount_chart(groups) if groups else "",
            "line_count": len(lines),
            "show_lines": len(lines) <= SUMMARY_LINES,
            "types": [_short(t) for t in types],
            "customers": customers,
            "notice": MARKETPLACE_NOTICE,
        },
    )


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
    """The PDF of a credit note (its lines), or an invoice's summary PDF with its lines
    attached as CSV and XLSX files (`render_invoice`)."""
    if hasattr(doc, "invoice_id"):
        return to_pdf(document_html(doc))
    return render_invoice(doc)


def render_invoice(invoice, lines=None) -> bytes:
    from billing.invoice_files import detail_name, lines_csv, lines_xlsx
    from billing.selectors import document_lines

    lines = document_lines(invoice) if lines is None else lines
    attachments = [
        Attachment(
            string=lines_csv(invoice, lines),
            name=detail_name(invoice, "csv"),
            description="Invoice lines (CSV)",
        ),
        Attachment(
            string=lines_xlsx(invoice, lines),
            name=detail_name(invoice, "xlsx"),
            description="Invoice lines (XLSX)",
        ),
    ]
    return HTML(string=invoice_summary_html(invoice, lines)).write_pdf(attachments=attachments)


def render_invoice_detail(invoice, lines=None) -> bytes:
    """Every line of the invoice as a PDF (rendered on request: tens of pages for a large
    reseller)."""
    return to_pdf(document_html(invoice, lines))


def render_statement(*, statement, lines) -> bytes:
    return to_pdf(statement_html(statement=statement, lines=lines))
