"""The billing reports, one class each (pretix's exporters): what a report reads, its filters,
its sections (a table, its totals, its chart) and their exports, in one place. The views only
pick the report, build it for the request and render it.

Who reads what: a member reads its reseller; operations read every reseller or the one chosen
(`?reseller=`). A section's export downloads exactly its filtered rows in the page's order.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, partial
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils import timezone, translation

from billing.periods import period_starting_in, usage_month
from billing.reports import cache as report_cache
from billing.reports import compute, filters, rollup, tables
from billing.reports import selectors as report_selectors
from billing.selectors import calendar_overrides, calendar_overrides_for
from billing.usage.models import UsageLine, UsageSummary
from portal.models import Reseller
from subscriptions.catalog.models import ProductType
from subscriptions.models import ChargeEvent

# the most rows whose ids in a table's order are kept (8 bytes or so each in the cache)
KEPT_ORDER_ROWS = 20_000

# A page is kept whole only for values that name something (each other value would keep a page
# of its own, up to what the cache holds): query parameters the report knows, given once; a
# table page among the first; a sort by a column of that table; an id for the customer,
# subscription and product type; no customer search (free text); and valid filters (checked
# once rendered).
KEPT_PAGES = 10
_KEPT_SORTS = {
    prefix: set(table.base_columns)
    for prefix, table in (
        ("u", tables.UsageTable),
        ("l", tables.LicenceTable),
        ("s", tables.SeatTable),
    )
}
_KEPT_IDS = ("customer", "subscription", "product_type")
_NUMBER = re.compile(r"[1-9][0-9]{0,17}")  # as written by the page's own links

# query parameters that are not filters: the export, each table's page and sort
_NOT_FILTERS = ("export", "table", "page", "sort")


@dataclass
class Section:
    name: str
    title: str
    table: tables.ReportTable
    rows: Any
    sums: Callable[[], list[compute.Total]]
    export_query: str = ""
    draw: Callable[[], dict] | None = None

    @cached_property
    def totals(self) -> list[compute.Total]:
        """Per currency; computed when shown (an export does not need them)."""
        return self.sums()

    @cached_property
    def chart(self) -> dict | None:
        """Chart.js data of the section's rows, if it has a chart and rows."""
        data = self.draw() if self.draw else None
        return data if data and data["labels"] else None

    def export(self, fmt: str, *, order_by: str | None) -> tuple[bytes, str, str]:
        """(content, content type, file extension) of the section's rows in `fmt`."""
        table = self.table
        table.order_by = order_by  # the page's sort
        data = table.data.data
        # rows read in chunks and written one by one: a large export keeps no row alive
        rows = table.export_rows(
            data.iterator(chunk_size=2000) if isinstance(data, QuerySet) else data
        )
        columns = table.export_columns()
        if fmt == "csv":
            content = compute.csv_bytes(rows, columns)
        else:
            content = compute.export_bytes(compute.dataset(rows, columns, title=self.title), fmt)
        content_type, ext = compute.EXPORT_FORMATS[fmt]
        return content, content_type, ext


class Report(ABC):
    """A report for one request: `filterset` and `sections` are built on first use."""

    do_not_call_in_templates = True  # templates list the classes (slug, title, intro)
    slug: ClassVar[str]
    title: ClassVar[str]
    intro: ClassVar[str]
    usage_types: ClassVar[tuple[str, ...]] = ()
    charge_types: ClassVar[tuple[str, ...]] = ()
    daily: ClassVar[bool] = False
    page_kept: ClassVar[bool] = True

    def __init__(self, request, *, ops: bool, show_money: bool):
        self.request, self.params, self.ops, self.show_money = request, request.GET, ops, show_money
        self.reseller_ids, self.reseller = self._resellers()
        country = self.reseller.country if self.reseller else ""
        self.periods, self.current = filters.period_options(
            country, timezone.now().date(), calendar_overrides_for(country)
        )
        codes = tuple(dict.fromkeys(self.usage_types + self.charge_types))
        self.product_types = list(
            ProductType.objects.filter(code__in=codes).values_list("pk", "code", "name")
        )
        self.filterset: Any = None

    def _resellers(self) -> tuple[list[int], Reseller | None]:
        """(ids of the resellers the report reads from, the one reseller or None)."""
        if not self.ops:
            return [self.request.reseller.pk], self.request.reseller
        value = self.params.get("reseller", "")
        if value.isdigit():
            chosen = Reseller.objects.filter(pk=value).first()
            if chosen is not None:
                return [chosen.pk], chosen
        return list(Reseller.objects.values_list("pk", flat=True)), None

    def type_ids(self, codes) -> list[int]:
        # ids, not a join on codes: PostgreSQL then estimates rows well
        return [pk for pk, code, _ in self.product_types if code in codes]

    def _filter_args(self) -> dict:
        return {
            "reseller_ids": self.reseller_ids,
            "periods": self.periods,
            "current": self.current,
            "product_types": [(pk, name) for pk, _, name in self.product_types],
        }

    def _filter_class(self, base):
        return filters.with_reseller(base) if self.ops else base

    @property
    def filter_query(self) -> dict:
        return {
            k: v
            for k, v in self.params.items()
            if k not in _NOT_FILTERS and not k.endswith(("page", "sort"))
        }

    @cached_property
    def sections(self) -> list[Section]:
        sections = self.build_sections()
        for section in sections:
            export = self.params.copy()
            for key in ("page", "export", "table"):
                export.pop(key, None)
            export["table"] = section.name
            section.export_query = export.urlencode()
        return sections

    @abstractmethod
    def build_sections(self) -> list[Section]: ...

    @abstractmethod
    def build_filterset(self):
        """The filters of the page (they come before the sections: these read what the
        filters choose)."""

    def filters_alone(self):
        """The filters without the sections (a kept page still shows operations' filters:
        their reseller choice lists every reseller)."""
        if self.filterset is None:
            self.filterset = self.build_filterset()
        return self.filterset

    @property
    def period(self):
        return self.filterset.period_value if self.filterset.is_bound else None

    @cached_property
    def kept(self) -> report_cache.Kept | None:
        """One reseller's figures of this period and these filters, kept between requests
        under the state of its data (billing/reports/cache.py: never older than the data); on
        SQLite, or for several resellers, none."""
        period = filters.selected_period(self.params, self.periods, self.current)
        if self.reseller is None or period is None or not report_cache.keeps():
            return None
        month = (
            self.slug,
            period.start,
            period.end,
            tuple(self.type_ids(self.usage_types)),
            tuple(self.type_ids(self.charge_types)),
        )
        # the filters as asked (an invalid one shows no figures, so none are kept)
        asked = tuple(self.params.get(k, "") for k in (*filters.ROW_FILTERS, "meter_category"))
        return report_cache.Kept(
            self.reseller.pk,
            {
                "month": month,
                "usage": (*month, asked),
                "licences": (*month, asked),
                "seats": (*month, asked),
            },
        )

    def _page_query(self) -> tuple | None:
        """The query of a page that may be kept whole (`KEPT_PAGES` and what follows), in
        order; None: not kept."""
        query = []
        for name, values in sorted(self.params.lists()):
            value = values[0]
            table, _, param = name.partition("-")
            if len(values) > 1 or (name == "reseller" and not self.ops):
                return None  # given twice; or ignored (a member reads its own reseller)
            if value == "" and name != "reseller" and "-" not in name:
                pass  # a filter left empty (the filters' form sends them all)
            elif name in ("period", "reseller", "meter_category"):
                pass  # a period offered, a reseller and a category: checked with the filters
            elif name in _KEPT_IDS or param == "page":
                if not _NUMBER.fullmatch(value) or (param == "page" and int(value) > KEPT_PAGES):
                    return None
            elif param != "sort" or value.removeprefix("-") not in _KEPT_SORTS.get(table, ()):
                return None  # a customer search, a parameter the report does not know
            query.append((name, value))
        return tuple(query)

    def _keep(self, name: str, compute: Callable[[], Any]) -> Any:
        return self.kept.get(name, compute) if self.kept else compute()

    def keep_page(self, render: Callable[[], dict[str, str]]) -> dict[str, str]:
        """The page's parts rendered by `render`, kept whole when the report reads only data
        whose changes move the reseller's state (not the daily lines), for a query that names
        what it asks (`_page_query`) and valid filters."""
        kept, query = self.kept if self.page_kept else None, self._page_query()
        if kept is None or query is None:
            return render()
        # its filters and body: the month's figures' parts, its query (pages, sorts), who reads
        # (money shown, operations), where (links), in which language, and which periods are
        # offered (they move on with today)
        kept.expect(
            "page",
            *kept.parts["month"],
            query,
            self.show_money,
            self.ops,
            self.request.path,
            translation.get_language(),
            self.current,
            tuple(self.periods),
        )
        if kept.found("page"):
            return kept.get("page", render)
        page = render()
        if self.filterset.is_valid():
            kept.put("page", page)
        return page

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)


class UsageReport(Report):
    """Azure usage per customer, subscription and meter (summed per month), optionally with
    the period's licence charges below."""

    def build_sections(self) -> list[Section]:
        if self.rolled_up:
            return self._rollup_sections()
        sections = self._usage_sections()
        if self.charge_types:
            sections += self._charge_sections()
        return sections

    def build_filterset(self):
        if not self.usage_types:
            return self._charge_filterset(form=None)
        summaries = self._summaries()
        period = filters.selected_period(self.params, self.periods, self.current)
        categories, self.prices = self._keep("month", partial(self._month, summaries, period))
        return self._filter_class(self.usage_filter)(
            self.params,
            self.usage_lines(summaries),
            meter_categories=categories,
            **self._filter_args(),
        )

    def _summaries(self):
        return UsageSummary.objects.filter(
            reseller_id__in=self.reseller_ids, product_type_id__in=self.type_ids(self.usage_types)
        )

    def _usage_sections(self) -> list[Section]:
        self.filters_alone()
        period = self.filterset.period_value
        if not self.filterset.is_valid() or period is None or not self.ready():
            return []
        return [self.usage_section(period, self.prices)]

    def _month(self, summaries, period) -> tuple[list[str], tuple]:
        """The month's meter categories (the filter's choices) and the price table of its rows'
        combinations (`selectors.price_table`)."""
        if period is None:
            return [], (False, {})
        categories, combos = report_selectors.month_keys(
            summaries.filter(month=usage_month(period).start), self.reseller_ids
        )
        books = report_selectors.books_for(self.reseller_ids)
        return categories, report_selectors.price_table(combos, books, period.start)

    usage_filter = filters.UsageFilter

    @property
    def rolled_up(self) -> bool:
        """Operations' report of every reseller, filtered by period and meter category only:
        one row per reseller (a filter on customers or subscriptions lists their rows)."""
        return (
            self.ops
            and self.reseller is None
            and not self.daily
            and not any(self.params.get(k) for k in filters.ROW_FILTERS)
        )

    def _rollup_sections(self) -> list[Section]:
        period = filters.selected_period(self.params, self.periods, self.current)
        resellers = {
            pk: (name, country)
            for pk, name, country in Reseller.objects.values_list("pk", "name", "country")
        }
        # each reseller's own period starting in the chosen month (a Canadian reseller's
        # June is June 20 – July 19), so its row is what its own report of that period shows
        overrides, periods = calendar_overrides(), {}
        if period:
            periods = {
                pk: period_starting_in(country, period.start, overrides=overrides)
                for pk, (_, country) in resellers.items()
            }
        sums = rollup.reseller_sums(self, periods) if period else {}
        self.filterset = self._filter_class(self.usage_filter)(
            self.params,
            UsageSummary.objects.none(),
            meter_categories=rollup.meter_categories(sums),
            **self._filter_args(),
        )
        if not self.filterset.is_valid() or self.filterset.period_value is None:
            return []
        category = self.filterset.form.cleaned_data.get("meter_category") or ""
        names = {pk: name for pk, (name, _) in resellers.items()}
        link = {"report_url": self.request.path, "query": self.filter_query}
        usage = rollup.reseller_rows(sums, names, periods, "usage", category)
        groups = rollup.usage_groups(sums, category)
        sections = [
            Section(
                "resellers",
                "Azure usage per reseller (open a reseller for its customers' rows)",
                tables.ResellerTable(usage, show_money=True, ops=True, prefix="r-", **link),
                usage,
                partial(compute.group_totals, usage),
                draw=partial(compute.category_chart, groups, show_money=True),
            )
        ]
        if self.charge_types:
            licences = rollup.reseller_rows(sums, names, periods, "licences")
            sections.append(
                Section(
                    "reseller_licences",
                    "Licence charges per reseller",
                    tables.ResellerTable(licences, show_money=True, ops=True, prefix="rl-", **link),
                    licences,
                    partial(compute.group_totals, licences),
                )
            )
        return sections

    def usage_lines(self, summaries):
        return summaries

    def ready(self) -> bool:
        return True

    def usage_section(self, period, prices) -> Section:
        priced = report_selectors.priced_usage(
            self.filterset.qs,
            priced_on=period.start,
            reseller_ids=self.reseller_ids,
            combos=(),
            table=prices,
        )
        rows = report_selectors.usage_rows(priced, self.reseller_ids)
        keys = partial(self._usage_keys, priced)
        table = tables.UsageTable(
            tables.KeyedRows(rows, keys=keys),
            show_money=self.show_money,
            ops=self.ops,
            prefix="u-",
            daily_url=tables.daily_link(self.ops),
            query=self.filter_query,
        )
        sums = report_selectors.UsageSums(priced, keep=partial(self._keep, "usage"))
        return Section(
            "usage",
            "Azure usage per customer, subscription and meter",
            table,
            rows,
            sums.totals,
            draw=partial(sums.chart, show_money=self.show_money),
        )

    def _usage_keys(self, priced, order: tuple, page: slice, rows: int):
        """The ids of a page of the usage rows in `order`: of every row's ids in that order,
        kept for one reseller (a next visit, or page, reads only its rows), or a subquery that
        sorts them (several resellers; a reseller of very many rows; and the first visit after
        a change of the data, whose sums were not kept either: reading every id then costs a
        query more than the page's own sort, and the data may change again before a next
        visit)."""
        ordered = report_selectors.usage_keys(priced, self.reseller_ids, order)
        if self.kept is None or rows > KEPT_ORDER_ROWS:
            return ordered[page]
        name, parts = f"usage-order {order!r}", (*self.kept.parts["usage"], order)
        if not self.kept.found("usage") and not self.kept.found(name, parts):
            return ordered[page]
        return self.kept.get(name, lambda: list(ordered), parts=parts)[page]

    def _charge_filterset(self, form):
        charges = ChargeEvent.objects.filter(
            reseller_id__in=self.reseller_ids,
            subscription__offer__product_type_id__in=self.type_ids(self.charge_types),
        )
        return self._filter_class(filters.ReportFilter)(
            self.params, charges, form=form, **self._filter_args()
        )

    def _charge_sections(self) -> list[Section]:
        # the usage filter's form, when there is one, validated once for both tables
        charge_filter = self._charge_filterset(form=self.filterset and self.filterset.form)
        self.filterset = self.filterset or charge_filter
        if not charge_filter.is_valid() or charge_filter.period_value is None:
            return []
        # sums read every charge: naming the subscriptions' reseller too lets PostgreSQL read
        # only its subscriptions (not for the page: it reads the first rows in order)
        every = charge_filter.qs.filter(subscription__reseller_id__in=self.reseller_ids)
        return [self.charge_section(charge_filter.qs, every)]

    def charge_section(self, page_rows, every) -> Section:
        rows = report_selectors.licence_rows(page_rows)
        table = tables.LicenceTable(rows, show_money=self.show_money, ops=self.ops, prefix="l-")
        return Section(
            "licences",
            "Licence charges",
            table,
            rows,
            partial(self._keep, "licences", partial(report_selectors.charge_totals, every)),
        )


class AzureLegacyReport(UsageReport):
    slug = "azure_legacy"
    title = "Azure (legacy)"
    intro = (
        "Usage of legacy Azure subscriptions (MS-AZR-0145P). Microsoft retired this offer, "
        "so this report is usually empty: Azure usage is in the Azure plan report."
    )
    usage_types = report_selectors.USAGE_TYPES["azure-legacy"]


class AzurePlanReport(UsageReport):
    slug = "azure_plan"
    title = "Azure plan & New Commerce"
    intro = (
        "Azure plan usage of the previous calendar month (billed in arrears), per "
        "customer, subscription and meter — open a meter for its daily lines; and the "
        "licence charges (New Commerce, software subscriptions, Reserved Instances, "
        "perpetual software) of the period."
    )
    usage_types = report_selectors.USAGE_TYPES["azure-plan"]
    charge_types = report_selectors.LICENCE_TYPES


class SeatsReport(UsageReport):
    slug = "seats"
    title = "Modern Workplace SaaS"
    intro = (
        "Seat-based products per subscription: seats, assigned and unused seats, unit "
        "prices and the period's cycle charges, prorations and credits."
    )
    charge_types = report_selectors.SEAT_TYPES

    def build_sections(self) -> list[Section]:
        return self._charge_sections()

    def charge_section(self, page_rows, every) -> Section:
        rows = report_selectors.seat_rows(every)
        # kept under the reseller's state of the data (its charges, subscriptions, seat
        # assignments, customers, catalog); read once, by the table's paging (with the page
        # asked when they were not kept)
        totals = cache(partial(self._keep, "seats", rows.totals))
        if self.kept is not None:
            rows.keep = partial(self._keep_seat_order, totals)
        table = tables.SeatTable(
            rows, sums=totals, show_money=self.show_money, ops=self.ops, prefix="s-"
        )
        return Section("seats", "Seat products per subscription", table, rows, totals)

    def _keep_seat_order(self, totals, name: str, compute):
        """Every row's keys in a table's order, kept for one reseller (a next visit, or page,
        reads only its rows); None — the page then sorted in its own statement — for a
        reseller of very many rows, and on the first visit after a change of the data (its
        totals were not kept either): reading every row's keys then costs a query more than
        the page's own sort, and the data may change again before a next visit (as the usage
        rows' order)."""
        if sum(t.rows for t in totals()) > KEPT_ORDER_ROWS:
            return None
        parts = (*self.kept.parts["seats"], name)
        if not self.kept.found("seats") and not self.kept.found(name, parts):
            return None
        return self.kept.get(name, compute, parts=parts)


class DailyUsageReport(UsageReport):
    """The daily lines of one subscription's meter (opened from the Azure plan report)."""

    slug = "daily"
    title = "Azure plan daily usage"
    intro = "The daily rated usage lines of one subscription's meter."
    usage_types = (
        report_selectors.USAGE_TYPES["azure-plan"] + report_selectors.USAGE_TYPES["azure-legacy"]
    )
    daily = True
    page_kept = False  # the daily lines are not watched (billing/reports/cache.py: TRACKED)
    usage_filter = filters.DailyFilter

    def usage_lines(self, summaries):
        return UsageLine.objects.filter(
            reseller_id__in=self.reseller_ids,
            is_marketplace=False,
            subscription__offer__product_type_id__in=self.type_ids(self.usage_types),
        )

    def _books(self, reseller_ids) -> dict:
        """The price books of the lines' resellers; one reseller's kept under its state."""
        if self.kept is None:
            return report_selectors.books_for(reseller_ids)
        return self.kept.get(
            "books", partial(report_selectors.books_for, self.reseller_ids), parts=()
        )

    def ready(self) -> bool:
        data = self.filterset.form.cleaned_data
        return bool(data.get("subscription") and data.get("meter"))

    def usage_section(self, period, prices) -> Section:
        rows = report_selectors.daily_rows(
            self.filterset.qs, priced_on=period.start, books=self._books
        )
        table = tables.DailyTable(
            rows,
            show_money=self.show_money,
            ops=self.ops,
            prefix="d-",
            order_by=self.params.get("d-sort"),
        )
        return Section("daily", "Daily usage lines", table, rows, partial(compute.totals, rows))


REPORTS: dict[str, type[Report]] = {
    r.slug: r for r in (AzureLegacyReport, AzurePlanReport, SeatsReport, DailyUsageReport)
}
LISTED = [r for r in REPORTS.values() if not r.daily]
