"""An invoice's line detail as files: CSV and XLSX (what the summary PDF carries as
attachments and the invoice page offers for download). Pure: lines in, bytes out.

One row per invoice line (`selectors.document_lines`: stored lines of a finalized invoice, the
ledger's for a draft), in position order; the amounts are the lines' own (rounded) amounts, so
the column sums to the invoice's subtotal, to which the tax rows of the summary add up to its
total."""

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADER = ("Position", "Product type", "Customer", "Description", "Quantity", "Amount", "Currency")


def detail_name(doc, extension: str) -> str:
    """The file name of the invoice's detail: INV-2026-000012-lines.csv, draft-12-lines.xlsx."""
    return f"{doc.number or f'draft-{doc.pk}'}-lines.{extension}"


def _rows(doc, lines):
    for line in lines:
        yield (
            line.position,
            line.product_type,
            line.customer_name,
            line.description,
            _quantity(line.quantity),
            line.amount,
            doc.currency,
        )


def _quantity(value: Decimal) -> Decimal:
    """3.0000000000 → 3, 10.1250000000 → 10.125 (never 3E+1)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _text(value) -> str:
    """A cell as text; a text a spreadsheet would take for a formula is quoted with '."""
    if isinstance(value, str):
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def lines_csv(doc, lines) -> bytes:
    """The lines as CSV (UTF-8 with a byte-order mark, so that spreadsheets read the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(tuple(map(_text, row)) for row in _rows(doc, lines))
    return ("\ufeff" + buffer.getvalue()).encode()


def lines_xlsx(doc, lines) -> bytes:
    """The lines as an XLSX workbook (openpyxl's write-only mode: rows streamed, no cell
    objects kept). Amounts are numbers with two decimals, quantities numbers; texts are
    written as texts (never formulas)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="Lines")
    sheet.append(list(HEADER))
    for row in _rows(doc, lines):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a text, even one starting with "="
            cells.append(cell)
        cells[5].number_format = "#,##0.00"
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
