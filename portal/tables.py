"""List tables: django-tables2 sorts, pages and names the columns; the page's rows are rendered
in one pass in Python.

django-tables2's own template renders each cell through the template engine, inspects each
render method's signature and reverses each link: about 20 ms for a page of 25 rows, four times
the rest of the page. Here a table's `cell_<column>(record)` methods return a cell's text
(escaped here) or HTML (`format_html`), links are built from one reversed URL per column, and
the template (`includes/list_table.html`) renders in the page's own context (the render_table
tag renders a second template, running the context processors and their queries again).
"""

import html
from collections.abc import Callable
from datetime import date

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString, mark_safe

EMPTY = "—"  # django-tables2's default for a missing value, as before


def url_maker(viewname: str, kwarg: str) -> Callable[[object], str]:
    """A function giving the view's URL for one value of its one argument, reversing once:
    `url_maker("customers:detail", "customer_id")(7)` == reverse(..., kwargs={"customer_id": 7})."""
    marker = 918273645  # an integer no path contains otherwise
    prefix, _, suffix = reverse(viewname, kwargs={kwarg: marker}).partition(str(marker))
    return lambda value: f"{prefix}{value}{suffix}"


def link(href: str, text) -> SafeString:
    return format_html('<a href="{}">{}</a>', href, text)


class ListTable(tables.Table):
    """A list page's table. A cell shows `EMPTY` when its column's value (its accessor) is None
    or "", as django-tables2 does; otherwise `cell_<column>(record)` if the table has one, else
    the value itself."""

    def header_cells(self) -> list[tuple]:
        """(column, th class, link that sorts by it or "") per column: the page's query with
        only the sort changed (django-tables2's `querystring_replace`), classes as its own
        template gives them (orderable, asc or desc)."""
        field, out = self.prefixed_order_by_field, []
        for column in self.columns:
            href = ""
            if column.orderable:
                query = self.request.GET.copy()
                query[field] = column.order_by_alias.next
                href = f"?{query.urlencode()}"
            out.append((column, column.attrs["th"].get("class", ""), href))
        return out

    def body_html(self) -> SafeString:
        """The page's rows; every text is escaped."""
        columns = [
            (c.accessor.split("__"), getattr(self, f"cell_{c.name}", None)) for c in self.columns
        ]
        if not self.page.object_list:
            return format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), self.empty_text)
        out = []
        for row in self.page.object_list:
            record = row.record
            out.append("<tr>")
            for path, cell in columns:
                value = record
                for name in path:
                    value = getattr(value, name, None)
                    if value is None:
                        break
                if value is None or value == "":
                    text = EMPTY
                else:
                    text = _html(value if cell is None else cell(record))
                out.append(f"<td>{text}</td>")
            out.append("</tr>")
        return mark_safe("".join(out))  # noqa: S308 — every text went through escaping


def _html(value) -> str:
    if isinstance(value, SafeData):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return html.escape(str(value))
