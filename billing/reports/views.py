"""Billing report pages (reseller members under billing/reports/, operations under
ops/billing/reports/). Filters come as query parameters; htmx requests get only the report body;
`?export=csv|xlsx&table=<section>` downloads exactly the filtered rows of one section. What a
report reads and shows is its class's (billing/reports/reports.py)."""

from functools import partial

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig
from django_tables2.data import TableQuerysetData

from billing.reports import compute, dashboard
from billing.reports.reports import LISTED, REPORTS, Report
from portal.decorators import member_required, staff_required
from portal.permissions import require
from portal.roles import role_can

PER_PAGE = 50


def _export(request, report: Report, fmt: str) -> HttpResponse:
    section = report.section(request.GET.get("table", ""))
    if section is None:
        raise Http404("No such report table for these filters.")
    content, content_type, ext = section.export(
        fmt, order_by=request.GET.get(section.table.prefixed_order_by_field)
    )
    response = HttpResponse(content, content_type=content_type)
    period = request.GET.get("period", "") or "current"
    response["Content-Disposition"] = (
        f'attachment; filename="{report.slug}-{section.name}-{period}.{ext}"'.replace("_", "-")
    )
    return response


def _page(request, slug: str, *, ops: bool):
    if slug not in REPORTS:
        raise Http404("No such report.")
    if not ops:
        require(request.membership, "reports.view")
    show_money = ops or role_can(request.membership.role, "billing.view_money")
    report = REPORTS[slug](request, ops=ops, show_money=show_money)
    if request.GET.get("export") in compute.EXPORT_FORMATS:
        return _export(request, report, request.GET["export"])
    context = {
        "request": request,
        "report": report,
        "ops": ops,
        "show_money": show_money,
        "notice": compute.NOTICE,
        "reseller": report.reseller,
        "reports": LISTED,
        "namespace": "billing_ops" if ops else "billing",
    }
    fragments = report.keep_page(partial(_fragments, request, report, context))
    # the body for a filter's swap; the full page when htmx restores one it no longer holds in
    # its history (HX-History-Restore-Request: the answer replaces the whole body)
    if request.htmx and not request.htmx.history_restore_request:
        return HttpResponse(fragments["body"])
    if "filters" not in fragments:  # operations' reseller choice lists every reseller
        fragments["filters"] = _render(
            "_filters.html", {**context, "filter": report.filters_alone()}
        )
    return render(
        request, "billing/reports/report.html", {**context, "fragments": _safe(fragments)}
    )


def _fragments(request, report: Report, context: dict) -> dict[str, str]:
    """The report's filters and body as HTML: all that the reseller's data, the period and the
    filters decide (kept under the state of the data: `Report.keep_page`). Operations' filters
    are not: their reseller choice lists every reseller, whose names are not this one's data."""
    for section in report.sections:
        table = section.table
        if isinstance(table.data, TableQuerysetData) and not table.counts_rows:
            table.data._length = sum(t.rows for t in section.totals)  # the totals counted them
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(section.table)
    context = {
        **context,
        "filter": report.filterset,
        "sections": report.sections,
        "period": report.period,
    }
    if report.daily and not report.sections and report.filterset.is_valid():
        context["choose"] = "Open a meter from the Azure plan report to see its daily lines."
    fragments = {"body": _render("_body.html", context)}
    if not report.ops:
        fragments["filters"] = _render("_filters.html", context)
    return fragments


def _render(name: str, context: dict) -> str:
    """A part of the report page (no context processors: the page around it has them)."""
    return render_to_string(f"billing/reports/{name}", context)


def _safe(fragments: dict[str, str]) -> dict[str, str]:
    return {name: mark_safe(html) for name, html in fragments.items()}  # noqa: S308 — rendered


@member_required
def report_index(request):
    require(request.membership, "reports.view")
    return render(
        request,
        "billing/reports/index.html",
        {"reports": LISTED, "namespace": "billing", "notice": compute.NOTICE},
    )


@member_required
def report(request, key):
    return _page(request, key, ops=False)


@staff_required
def ops_report_index(request):
    return render(
        request,
        "billing/reports/index.html",
        {"reports": LISTED, "namespace": "billing_ops", "ops": True, "notice": compute.NOTICE},
    )


@staff_required
def ops_report(request, key):
    return _page(request, key, ops=True)


@member_required
@require_safe
def dashboard_figures(request):
    """The dashboard's figures for the filters in the query: loaded by htmx once the page
    shows (no filter: the current period, all customers and product types) and swapped in when
    a filter changes, which puts the dashboard's address with the filters in the address bar
    (HX-Push-Url) without reading the rest of the dashboard again. A fragment: no context
    processors (the page around it has them)."""
    response = HttpResponse(
        render_to_string(
            "billing/reports/_dashboard_figures.html", dashboard.figures_context(request)
        )
    )
    if request.htmx and request.GET:
        response["HX-Push-Url"] = f"{reverse('dashboard')}?{request.GET.urlencode()}"
    return response
