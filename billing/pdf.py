"""Invoice and credit-note PDFs (WeasyPrint). Rendering only; storing is a service's job."""

from itertools import groupby

from django.template.loader import render_to_string
from weasyprint import HTML

MARKETPLACE_NOTICE = ("Azure Marketplace one-time charges are not included: they come on a "
                      "separate invoice.")


def document_context(doc) -> dict:
    lines = list(doc.lines.all())
    groups = []
    for product_type, items in groupby(sorted(lines, key=lambda x: (x.product_type, x.position)),
                                       key=lambda x: x.product_type):
        items = list(items)
        groups.append({"product_type": product_type or "Other", "lines": items,
                       "subtotal": sum(i.amount for i in items)})
    return {"doc": doc, "groups": groups, "is_credit_note": hasattr(doc, "invoice_id"),
            "notice": MARKETPLACE_NOTICE}


def render_document(doc) -> bytes:
    html = render_to_string("billing/pdf/document.html", document_context(doc))
    return HTML(string=html).write_pdf()
