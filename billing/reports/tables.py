"""Report tables (django-tables2 over the dict rows of `billing.reports.selectors`).

`MONEY` columns (the reseller's cost and margin) are left out for members who may not see money
(`billing.view_money`); exports use the same visible columns, so they never carry them either.
"""

import html
from datetime import date
from decimal import Decimal
from functools import cached_property
from urllib.parse import quote_plus, urlencode

import django_tables2 as tables
from django.conf import settings
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe
from django_tables2.data import TableQuerysetData
from django_tables2.utils import OrderBy

from billing.reports import compute
from portal import numbers
from subscriptions.models import ChargeEvent

MONEY = ("cost", "margin", "unit_cost")
AMOUNTS = {"cost", "price", "margin", "cycle_price", "proration_price", "credit_price"}
UNIT_AMOUNTS = {"unit_cost", "unit_price"}
# columns whose cells are numbers formatted by portal.numbers (amounts, unit amounts, quantities)
FORMATTED = AMOUNTS | UNIT_AMOUNTS | {"quantity"}
KINDS = dict(ChargeEvent.Kind.choices)
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


class Num(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)


class Date(tables.DateColumn):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", "Y-m-d")
        super().__init__(*args, **kwargs)


class ReportTable(tables.Table):
    class Meta:
        attrs = {"class": "striped report"}
        empty_text = "No rows match these filters."
        template_name = "django_tables2/table.html"

    counts_rows = False  # the view counts a page's rows from the totals (when paging)

    def __init__(self, data, *, show_money: bool, ops: bool = False, **kwargs):
        exclude = list(kwargs.pop("exclude", ()))
        if not show_money:
            exclude += [c for c in MONEY if c in self.base_columns]
        if not ops and "reseller_name" in self.base_columns:
            exclude.append("reseller_name")
        # subclasses do not inherit Meta (django-tables2): the text is given here
        kwargs.setdefault("empty_text", ReportTable.Meta.empty_text)
        super().__init__(data, exclude=exclude, **kwargs)

    @cached_property
    def num_columns(self) -> set[str]:
        return {c.name for c in self.columns if isinstance(c.column, Num)}

    def header_cells(self) -> list[tuple]:
        """(column, is a number, link that sorts by it or "") per visible column: the page's
        query with only this table's sort changed (django-tables2's `querystring_replace`)."""
        field, out = self.prefixed_order_by_field, []
        query = self.request.GET.copy()  # copied once (a deep copy), changed per column
        for column in self.columns:
            href = ""
            if column.orderable:
                query[field] = column.order_by_alias.next
                href = f"?{query.urlencode()}"
            out.append((column, column.name in self.num_columns, href))
        return out

    def body_html(self):
        """The page's rows in one pass (django-tables2 renders every cell through templates
        and signature inspection: too slow for report pages). Every text is escaped; numbers
        and dates need no escaping."""
        # numbers written as Python does (the portal's locale) need no escaping: digits, the
        # sign and separators only
        plain = numbers._plain(settings.LANGUAGE_CODE)
        columns = [
            (
                '<td class="num">' if c.name in self.num_columns else "<td>",
                self._cell(c),
                plain and c.name in FORMATTED,
            )
            for c in self.columns
        ]
        if not self.page.object_list:
            return format_html(
                '<tr><td colspan="{}" class="muted">{}</td></tr>', len(columns), self.empty_text
            )
        out = []
        for row in self.page.object_list:
            record = row.record
            out.append("<tr>")
            for td, cell, formatted in columns:
                value = cell(record)
                out.append(f"{td}{value if formatted and value else _html(value)}</td>")
            out.append("</tr>")
        return mark_safe("".join(out))  # noqa: S308 — every text went through escaping

    def _cell(self, column):
        """The function giving a column's value in a row, chosen once per column."""
        custom = getattr(self, f"cell_{column.name}", None)
        if custom is not None:
            return custom
        key, name = column.accessor, column.name
        if name in AMOUNTS:
            return lambda r: numbers.amount(r.get(key), r.get("currency") or "")
        if name in UNIT_AMOUNTS:
            return lambda r: numbers.unit_amount(r.get(key))
        if name == "quantity":
            return lambda r: numbers.quantity(r.get(key))
        if name in compute.CENT_KEYS:
            return lambda r: compute.to_cents(r.get(key))
        return lambda r: r.get(key)

    def cell_partner_center_id(self, record):
        """The Partner Center ID shortened, with a button that copies it whole."""
        value = record.get("partner_center_id")
        if not value:
            return None
        full = html.escape(value)  # once, not four times (format_html)
        return mark_safe(  # noqa: S308 — escaped
            f'<span class="copy-id"><code title="{full}">{html.escape(numbers.short_id(value))}'
            f'</code><button type="button" class="copy secondary outline" data-copy="{full}" '
            f'aria-label="Copy the subscription ID {full}">Copy</button></span>'
        )

    def cell_product_type(self, record):
        """The product type's short name (before its parenthesis), the full one on hover."""
        value = record.get("product_type") or ""
        short = value.split(" (", 1)[0]
        if short == value:
            return value
        # as format_html writes it, without its per-call parsing (a row each)
        return mark_safe(  # noqa: S308 — escaped
            f'<abbr class="type" title="{html.escape(value)}">{html.escape(short)}</abbr>'
        )

    def export_rows(self, rows):
        return rows

    def export_columns(self) -> list[compute.Column]:
        return [compute.Column(key=c.accessor, header=str(c.header)) for c in self.columns]


class KeyedRows(TableQuerysetData):
    """A values queryset paged in two steps: `keys(order_by, page, rows)` picks the page's ids
    (a subquery that sorts every row by the order's columns alone, or the ids in order kept
    from an earlier visit), then the page's rows are read whole for those ids, in the same
    order. The order ends with the row's id, so it is total and the page, the next page and
    the export agree."""

    def __init__(self, data, *, keys):
        super().__init__(data)
        self.keys = keys

    def order_by(self, aliases):
        super().order_by(aliases)
        order = self.data.query.order_by
        if order[-1:] != ("pk",):
            self.data = self.data.order_by(*order, "pk")

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return super().__getitem__(key)
        order = self.data.query.order_by
        return self.data.filter(pk__in=self.keys(order, key, len(self)))


class UsageTable(ReportTable):
    reseller_name = tables.Column(verbose_name="Reseller")
    customer_name = tables.Column(verbose_name="Customer")
    partner_center_id = tables.Column(verbose_name="Subscription")
    meter_category = tables.Column(verbose_name="Meter category")
    meter_name = tables.Column(verbose_name="Meter")
    meter_id = tables.Column(verbose_name="Meter ID", visible=False)
    unit_of_measure = tables.Column(verbose_name="Unit")
    quantity = Num(verbose_name="Quantity")
    lines = Num(verbose_name="Daily lines")
    currency = tables.Column(verbose_name="Currency")
    cost = Num(verbose_name="Cost")
    price = Num(verbose_name="Customer price")
    margin = Num(verbose_name="Margin")

    def __init__(self, data, *, daily_url: str = "", query: dict | None = None, **kwargs):
        query = query or {}
        self.daily_url, self.with_customer = daily_url, "customer" in query
        # the page's filters, encoded once; each row adds its subscription and meter
        self.link_query = urlencode(
            {k: v for k, v in query.items() if k not in ("subscription", "meter", "customer")}
        )
        super().__init__(data, **kwargs)

    def cell_meter_name(self, record):
        value = record["meter_name"]
        if not self.daily_url:
            return value
        row = f"subscription={record['subscription_id']}&meter={quote_plus(record['meter_id'])}"
        if self.with_customer:
            row += f"&customer={record['customer_id']}"
        query = f"{self.link_query}&{row}" if self.link_query else row
        # as format_html writes it, without its per-call parsing (a row each)
        return mark_safe(  # noqa: S308 — escaped
            f'<a href="{html.escape(self.daily_url)}?{html.escape(query)}" '
            f'data-testid="drill-down">{html.escape(value)}</a>'
        )

    def cell_quantity(self, record):
        return _quantity(record["quantity"])


class ResellerTable(ReportTable):
    """Operations' report of every reseller: one row per reseller and currency, each reseller
    linked to its own report with the same filters."""

    reseller_name = tables.Column(verbose_name="Reseller")
    currency = tables.Column(verbose_name="Currency")
    rows = Num(verbose_name="Rows")
    cost = Num(verbose_name="Cost")
    price = Num(verbose_name="Customer price")
    margin = Num(verbose_name="Margin")

    def __init__(self, data, *, report_url: str, query: dict, **kwargs):
        self.report_url = report_url
        self.link_query = "".join(
            f"{urlencode({k: v})}&" for k, v in query.items() if k not in ("reseller", "period")
        )
        super().__init__(data, **kwargs)

    def cell_reseller_name(self, record):
        """A link to the reseller's own report of its own period (a Canadian reseller's
        20th–19th period for the month chosen)."""
        return format_html(
            '<a href="{}?{}period={}&amp;reseller={}" data-testid="open-reseller">{}</a>',
            self.report_url,
            self.link_query,
            record["period"],
            record["reseller_id"],
            record["reseller_name"],
        )


class DailyTable(ReportTable):
    usage_date = Date(verbose_name="Date")
    customer_name = tables.Column(verbose_name="Customer")
    partner_center_id = tables.Column(verbose_name="Subscription")
    meter_name = tables.Column(verbose_name="Meter")
    meter_region = tables.Column(verbose_name="Region")
    resource_group = tables.Column(verbose_name="Resource group")
    quantity = Num(verbose_name="Quantity")
    unit_of_measure = tables.Column(verbose_name="Unit")
    currency = tables.Column(verbose_name="Currency")
    cost = Num(verbose_name="Cost")
    price = Num(verbose_name="Customer price")
    margin = Num(verbose_name="Margin")

    def cell_quantity(self, record):
        return _quantity(record["quantity"])


class LicenceTable(ReportTable):
    reseller_name = tables.Column(verbose_name="Reseller")
    charge_date = Date(verbose_name="Charge date")
    customer_name = tables.Column(verbose_name="Customer")
    offer_name = tables.Column(verbose_name="Product")
    partner_center_id = tables.Column(verbose_name="Subscription")
    product_type = tables.Column(verbose_name="Product type")
    kind = tables.Column(verbose_name="Charge")

    def cell_kind(self, record):
        return KINDS.get(record["kind"], record["kind"])

    def export_rows(self, rows):
        return ({**r, "kind": self.cell_kind(r)} for r in rows)

    quantity = Num(verbose_name="Quantity")
    term = tables.Column(verbose_name="Term")
    billing_frequency = tables.Column(verbose_name="Billing")
    cycle_start = Date(verbose_name="Cycle start")
    cycle_end = Date(verbose_name="Cycle end")
    billing_days = Num(verbose_name="Days billed")
    cycle_days = Num(verbose_name="Cycle days")
    unit_cost = Num(verbose_name="Unit cost")
    unit_price = Num(verbose_name="Unit price")
    currency = tables.Column(verbose_name="Currency")
    cost = Num(verbose_name="Cost")
    price = Num(verbose_name="Customer price")
    margin = Num(verbose_name="Margin")


class SqlOrder(TableQuerysetData):
    """Rows sorted and paged in SQL (`selectors.SeatRows`) given the sort as keys ("name",
    "-name"): it sorts as django-tables2 sorts a list of dict rows."""

    @property
    def ordering(self):
        return None  # the rows' own order is the report's, not a column's

    def order_by(self, aliases):
        keys = []
        for alias in aliases:
            column = self.table.columns[OrderBy(alias).bare]
            flip = alias[0] != column.order_by_alias[0]  # as TableQuerysetData.order_by
            keys += [str(a) for a in (column.order_by.opposite if flip else column.order_by)]
        self.data = self.data.order_by(*keys)


class SeatTable(ReportTable):
    """Rows: `selectors.seat_rows`, sorted and paged in SQL, counted by their totals (`sums`,
    the section's): when those are read, the page asked is read with them (one statement)."""

    counts_rows = True

    def __init__(self, data, *, sums, **kwargs):
        self.sums = sums
        super().__init__(SqlOrder(data), **kwargs)

    def paginate(self, paginator_class=Paginator, per_page=None, page=1, *args, **kwargs):
        per_page = per_page or self._meta.per_page
        if isinstance(page, int) and page >= 1:
            self.data.data.read_with_totals(per_page, (page - 1) * per_page)
        self.data._length = sum(t.rows for t in self.sums())
        return super().paginate(paginator_class, per_page, page, *args, **kwargs)

    reseller_name = tables.Column(verbose_name="Reseller")
    customer_name = tables.Column(verbose_name="Customer")
    offer_name = tables.Column(verbose_name="Product")
    partner_center_id = tables.Column(verbose_name="Subscription")
    product_type = tables.Column(verbose_name="Product type")
    term = tables.Column(verbose_name="Term")
    quantity = Num(verbose_name="Quantity")
    assigned = Num(verbose_name="Assigned")
    unused = Num(verbose_name="Unused")
    unit_cost = Num(verbose_name="Unit cost")
    unit_price = Num(verbose_name="Unit price")
    currency = tables.Column(verbose_name="Currency")
    cycle_price = Num(verbose_name="Cycle charges")
    proration_price = Num(verbose_name="Prorations")
    credit_price = Num(verbose_name="Credits")
    cost = Num(verbose_name="Cost")
    price = Num(verbose_name="Customer price")
    margin = Num(verbose_name="Margin")


def _html(value) -> str:
    """A cell's HTML: safe strings as they are, other text escaped, numbers and dates as text."""
    if isinstance(value, SafeData):
        return str(value)
    if isinstance(value, str):
        return html.escape(value)
    if value is None:
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal, int)):
        return str(value)
    return html.escape(str(value))


def _quantity(value: Decimal) -> str:
    return numbers.quantity(value)


def daily_link(ops: bool) -> str:
    return reverse("billing_ops:report_daily" if ops else "billing:report_daily")
