"""Billing report pages (reseller members under billing/reports/, operations under
ops/billing/reports/). Filters come as query parameters; htmx requests get only the report body;
`?export=csv|xlsx&table=<section>` downloads exactly the filtered rows of one section."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_tables2 import RequestConfig
from django_tables2.data import TableQuerysetData

from billing.periods import usage_month
from billing.reports import compute, filters, tables
from billing.reports import selectors as report_selectors
from billing.selectors import calendar_overrides
from billing.usage.models import UsageLine, UsageSummary
from portal.decorators import member_required, staff_required
from portal.models import Reseller
from portal.permissions import require
from portal.roles import role_can
from subscriptions.catalog.models import ProductType
from subscriptions.models import ChargeEvent

PER_PAGE = 50


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    intro: str
    usage_types: tuple[str, ...] = ()
    licence_types: tuple[str, ...] = ()
    seat_types: tuple[str, ...] = ()
    daily: bool = False
    product_codes: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self):
        object.__setattr__(self, "product_codes", tuple(dict.fromkeys(
            self.usage_types + self.licence_types + self.seat_types)))


REPORTS = {r.slug: r for r in [
    Report("azure_legacy", "Azure (legacy)",
           "Usage of legacy Azure subscriptions (MS-AZR-0145P). Microsoft retired this offer, "
           "so this report is usually empty: Azure usage is in the Azure plan report.",
           usage_types=report_selectors.USAGE_TYPES["azure-legacy"]),
    Report("azure_plan", "Azure plan & New Commerce",
           "Azure plan usage of the previous calendar month (billed in arrears), per customer, "
           "subscription and meter — open a meter for its daily lines; and the licence charges "
           "(New Commerce, software subscriptions, Reserved Instances, perpetual software) "
           "of the period.",
           usage_types=report_selectors.USAGE_TYPES["azure-plan"],
           licence_types=report_selectors.LICENCE_TYPES),
    Report("seats", "Modern Workplace SaaS",
           "Seat-based products per subscription: seats, assigned and unused seats, unit prices "
           "and the period's cycle charges, prorations and credits.",
           seat_types=report_selectors.SEAT_TYPES),
    Report("daily", "Azure plan daily usage",
           "The daily rated usage lines of one subscription's meter.",
           usage_types=report_selectors.USAGE_TYPES["azure-plan"]
           + report_selectors.USAGE_TYPES["azure-legacy"], daily=True),
]}


@dataclass
class Section:
    name: str
    title: str
    table: tables.ReportTable
    rows: list
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


def _resellers(request, ops: bool) -> tuple[list[int], Reseller | None]:
    """(ids of the resellers the page reads from, the one reseller or None)."""
    if not ops:
        return [request.reseller.pk], request.reseller
    value = request.GET.get("reseller", "")
    if value.isdigit():
        chosen = Reseller.objects.filter(pk=value).first()
        if chosen is not None:
            return [chosen.pk], chosen
    return list(Reseller.objects.values_list("pk", flat=True)), None


def _build(request, report: Report, *, ops: bool, show_money: bool):
    reseller_ids, reseller = _resellers(request, ops)
    periods, current = filters.period_options(reseller.country if reseller else "",
                                              timezone.now().date(), calendar_overrides())
    product_types = list(ProductType.objects.filter(code__in=report.product_codes)
                         .values_list("pk", "code", "name"))

    def type_ids(codes):  # ids, not a join on codes: PostgreSQL then estimates rows well
        return [pk for pk, code, _ in product_types if code in codes]

    common = {"reseller_ids": reseller_ids, "periods": periods, "current": current,
              "product_types": [(pk, name) for pk, _, name in product_types]}
    usage_class = filters.DailyFilter if report.daily else filters.UsageFilter
    charge_class = filters.ReportFilter
    if ops:
        usage_class, charge_class = filters.with_reseller(usage_class), \
            filters.with_reseller(charge_class)
    sections, filterset = [], None
    query = {k: v for k, v in request.GET.items() if k not in ("export", "table", "page")
             and not k.endswith("page") and k != "sort" and not k.endswith("sort")}

    if report.usage_types:
        summaries = UsageSummary.objects.filter(reseller_id__in=reseller_ids,
                                                product_type_id__in=type_ids(report.usage_types))
        if report.daily:
            lines = UsageLine.objects.filter(
                reseller_id__in=reseller_ids, is_marketplace=False,
                subscription__offer__product_type_id__in=type_ids(report.usage_types))
        else:
            lines = summaries
        period = filters.selected_period(request.GET, periods, current)
        categories, combos = report_selectors.month_keys(summaries.filter(
            month=usage_month(period).start), reseller_ids) if period else ([], set())
        filterset = usage_class(request.GET, lines, meter_categories=categories, **common)
        period = filterset.period_value
        if filterset.is_valid() and period is not None and not (
                report.daily and not (filterset.form.cleaned_data.get("subscription")
                                      and filterset.form.cleaned_data.get("meter"))):
            draw = None
            if report.daily:
                rows = report_selectors.daily_rows(filterset.qs, priced_on=period.start)
                table = tables.DailyTable(rows, show_money=show_money, ops=ops,
                                          prefix="d-", order_by=request.GET.get("d-sort"))
                totals = partial(compute.totals, rows)
            else:
                priced = report_selectors.priced_usage(filterset.qs, priced_on=period.start,
                                                       reseller_ids=reseller_ids, combos=combos)
                rows = report_selectors.usage_rows(priced, reseller_ids)
                table = tables.UsageTable(rows, show_money=show_money, ops=ops, prefix="u-",
                                          daily_url=tables.daily_link(ops), query=query)
                sums = report_selectors.UsageSums(priced)
                totals, draw = sums.totals, partial(sums.chart, show_money=show_money)
            sections.append(Section("daily" if report.daily else "usage",
                                    "Daily usage lines" if report.daily else
                                    "Azure usage per customer, subscription and meter",
                                    table, rows, totals, draw=draw))
    if report.licence_types or report.seat_types:
        types = report.licence_types or report.seat_types
        charges = ChargeEvent.objects.filter(
            reseller_id__in=reseller_ids, subscription__offer__product_type_id__in=type_ids(types))
        # the usage filter's form, when there is one, validated once for both tables
        charge_filter = charge_class(request.GET, charges, form=filterset and filterset.form,
                                     **common)
        filterset = filterset or charge_filter
        if charge_filter.is_valid() and charge_filter.period_value is not None:
            # sums read every charge: naming the subscriptions' reseller too lets PostgreSQL
            # read only its subscriptions (not for the page: it reads the first rows in order)
            every = charge_filter.qs.filter(subscription__reseller_id__in=reseller_ids)
            if report.licence_types:
                rows = report_selectors.licence_rows(charge_filter.qs)
                table = tables.LicenceTable(rows, show_money=show_money, ops=ops, prefix="l-")
                title = "Licence charges"
                totals = partial(report_selectors.charge_totals, every)
            else:
                rows = report_selectors.seat_rows(every)
                table = tables.SeatTable(rows, show_money=show_money, ops=ops, prefix="s-")
                title = "Seat products per subscription"
                totals = partial(compute.totals, rows)
            sections.append(Section("licences" if report.licence_types else "seats", title,
                                    table, rows, totals))
    for section in sections:
        export = request.GET.copy()
        for key in ("page", "export", "table"):
            export.pop(key, None)
        export["table"] = section.name
        section.export_query = export.urlencode()
    return filterset, sections, reseller


def _export(request, report: Report, sections: list[Section], fmt: str):
    name = request.GET.get("table", "")
    section = next((s for s in sections if s.name == name), None)
    if section is None:
        raise Http404("No such report table for these filters.")
    table = section.table
    table.order_by = request.GET.get(table.prefixed_order_by_field)  # the page's sort
    data = table.data.data
    # rows read in chunks and written one by one: a large export keeps no row alive
    rows = table.export_rows(data.iterator(chunk_size=2000) if isinstance(data, QuerySet)
                             else data)
    columns = table.export_columns()
    if fmt == "csv":
        content = compute.csv_bytes(rows, columns)
    else:
        content = compute.export_bytes(compute.dataset(rows, columns, title=section.title), fmt)
    content_type, ext = compute.EXPORT_FORMATS[fmt]
    period = request.GET.get("period", "")
    response = HttpResponse(content, content_type=content_type)
    filename = f"{report.slug}-{section.name}-{period or 'current'}.{ext}".replace("_", "-")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _page(request, slug: str, *, ops: bool):
    report = REPORTS.get(slug)
    if report is None:
        raise Http404("No such report.")
    if ops:
        show_money = True
    else:
        require(request.membership, "reports.view")
        show_money = role_can(request.membership.role, "billing.view_money")
    filterset, sections, reseller = _build(request, report, ops=ops, show_money=show_money)
    fmt = request.GET.get("export")
    if fmt in compute.EXPORT_FORMATS:
        return _export(request, report, sections, fmt)
    for section in sections:
        if isinstance(section.table.data, TableQuerysetData):  # the totals counted the rows
            section.table.data._length = sum(t.rows for t in section.totals)
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(section.table)
    context = {"report": report, "filter": filterset, "sections": sections, "ops": ops,
               "show_money": show_money, "notice": compute.NOTICE, "reseller": reseller,
               "period": filterset.period_value if filterset.is_bound else None,
               "reports": [r for r in REPORTS.values() if not r.daily],
               "namespace": "billing_ops" if ops else "billing"}
    if report.daily and not sections and filterset.is_valid():
        context["choose"] = "Open a meter from the Azure plan report to see its daily lines."
    template = "billing/reports/_body.html" if request.htmx else "billing/reports/report.html"
    return render(request, template, context)


@member_required
def report_index(request):
    require(request.membership, "reports.view")
    return render(request, "billing/reports/index.html", {
        "reports": [r for r in REPORTS.values() if not r.daily], "namespace": "billing",
        "notice": compute.NOTICE})


@member_required
def report(request, key):
    return _page(request, key, ops=False)


@staff_required
def ops_report_index(request):
    return render(request, "billing/reports/index.html", {
        "reports": [r for r in REPORTS.values() if not r.daily], "namespace": "billing_ops",
        "ops": True, "notice": compute.NOTICE})


@staff_required
def ops_report(request, key):
    return _page(request, key, ops=True)
