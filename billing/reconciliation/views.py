"""Reconciliation pages: operations per period (all resellers), a reseller its own share."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django_scopes import scopes_disabled

from billing.models import BillingRun
from billing.reconciliation import selectors, services
from billing.reconciliation.models import Difference
from billing.reports import compute
from portal.decorators import member_required, staff_required
from portal.models import Reseller
from portal.permissions import require

PER_PAGE = 100
COLUMNS = [
    compute.Column("leg", "Check"),
    compute.Column("reason", "Reason"),
    compute.Column("reseller", "Reseller"),
    compute.Column("customer", "Customer"),
    compute.Column("product_type", "Product type"),
    compute.Column("description", "Charge"),
    compute.Column("currency", "Currency"),
    compute.Column("amount", "Difference", money=True),
    compute.Column("left", "Left side"),
    compute.Column("right", "Right side"),
    compute.Column("subscription", "Subscription"),
]


def _side(period, quantity, amount, currency) -> str:
    if quantity is None:
        return ""
    return f"{period:%Y-%m-%d} × {quantity.normalize():f} = {amount.normalize():f} {currency}"


def _export_rows(rows):
    for d in rows.iterator(chunk_size=2000):
        yield {
            "leg": d.get_leg_display(),
            "reason": d.get_reason_display(),
            "reseller": d.reseller.name,
            "customer": d.customer.company_name if d.customer_id else "",
            "product_type": d.product_type,
            "description": d.description,
            "currency": d.currency,
            "amount": d.amount,
            "left": _side(d.left_period, d.left_quantity, d.left_amount, d.left_currency),
            "right": _side(d.right_period, d.right_quantity, d.right_amount, d.right_currency),
            "subscription": d.subscription.partner_center_id if d.subscription_id else "",
        }


def _export(rows, fmt: str, name: str) -> HttpResponse:
    data = _export_rows(rows)
    if fmt == "csv":
        content = compute.csv_bytes(data, COLUMNS)
    else:
        content = compute.export_bytes(compute.dataset(data, COLUMNS, title=name), fmt)
    content_type, ext = compute.EXPORT_FORMATS[fmt]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{ext}"'
    return response


def _period(value, periods) -> dt.date | None:
    if not value:
        return periods[0] if periods else None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404("No such period.") from None


def _page(request, rows):
    return Paginator(
        rows.order_by("leg", "reason", "reseller__name", "description", "pk"), PER_PAGE
    ).get_page(request.GET.get("page"))


@staff_required
def ops_reconciliation(request):
    with scopes_disabled():
        periods = selectors.ops_periods()
        if request.method == "POST":
            try:
                start = dt.date.fromisoformat(request.POST.get("period", ""))
                run = services.reconciliation_run(user=request.user, period_start=start)
            except (ValueError, ValidationError) as exc:
                messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
                return redirect("billing_ops:reconciliation")
            messages.success(request, f"{run} done: {run.differences.count()} difference(s).")
            return redirect(f"{request.path}?period={start:%Y-%m-%d}")
        period = _period(request.GET.get("period"), periods)
        run = selectors.run_of(period) if period else None
        filters = {k: request.GET.get(k, "") for k in selectors.FILTERS}
        rows = selectors.differences(run, **filters)
        fmt = request.GET.get("export")
        if fmt in compute.EXPORT_FORMATS:
            return _export(rows, fmt, f"reconciliation-{period:%Y-%m-%d}")
        context = {
            "periods": periods,
            "period": period,
            "run": run,
            "filters": filters,
            "totals": selectors.totals(rows),
            "page": _page(request, rows),
            "reasons": Difference.Reason.choices,
            "legs": Difference.Leg.choices,
            "resellers": Reseller.objects.order_by("name").values_list("pk", "name"),
            "product_types": sorted(
                set(selectors.differences(run).values_list("product_type", flat=True))
            ),
            "export_query": request.GET.copy(),
            "ops": True,
        }
        return render(request, "billing/reconciliation.html", context)


@member_required
def reconciliation(request):
    """The reseller's share: its invoices against its ledger and its customers' statements."""
    member = request.membership
    require(member, "billing.view_money")
    periods = list(
        BillingRun.objects.filter(reseller=member.reseller)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
    )
    period = _period(request.GET.get("period"), periods)
    if period is not None and period not in periods:
        raise Http404("No such period.")
    with scopes_disabled():
        run = selectors.run_of(period) if period else None
    legs = [Difference.Leg.INVOICE, Difference.Leg.STATEMENT]
    filters = {"reason": request.GET.get("reason", "")}
    rows = selectors.differences(run, of_reseller=member.reseller, legs=legs, **filters)
    fmt = request.GET.get("export")
    if fmt in compute.EXPORT_FORMATS:
        return _export(rows, fmt, f"reconciliation-{period:%Y-%m-%d}")
    return render(
        request,
        "billing/reconciliation.html",
        {
            "periods": periods,
            "period": period,
            "run": run,
            "filters": filters,
            "totals": selectors.totals(rows),
            "page": _page(request, rows),
            "reasons": [
                (v, label)
                for v, label in Difference.Reason.choices
                if v not in ("missing_in_portal", "missing_at_microsoft")
            ],
            "export_query": request.GET.copy(),
            "ops": False,
        },
    )
