import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from customers.selectors import customer_get
from portal.confirm import confirm_page
from portal.decorators import member_required
from portal.numbers import money
from portal.permissions import require
from portal.roles import role_can
from portal.tables import url_maker
from subscriptions.insight import selectors, services
from subscriptions.insight.html import savings_rows
from subscriptions.selectors import subscription_get


def _customer(request):
    cid = request.GET.get("customer", "")
    return customer_get(member=request.membership, customer_id=int(cid)) if cid.isdigit() else None


@member_required
def savings(request):
    """Unused and reclaimable seats per subscription, money per month and until renewal."""
    customer = _customer(request)
    page, totals = selectors.savings_page(
        request.reseller,
        now=timezone.now(),
        customer_id=customer.pk if customer else None,
        page_number=request.GET.get("page"),
    )
    member = request.membership
    # each row's links from one reversed URL per view (three reverse() a row cost ≈4 ms)
    detail = url_maker("subscriptions:detail", "subscription_id")
    decrease = url_maker("savings:savings_decrease", "subscription_id")
    for row in page:
        row.detail_url = detail(row.subscription.pk)
        row.decrease_url = decrease(row.subscription.pk)
    show_money = role_can(member.role, "billing.view_money")
    rows = savings_rows(
        page.object_list,
        savings_url=reverse("savings:savings"),
        show_money=show_money,
        can_order=role_can(member.role, "orders.place"),
    )
    return render(
        request,
        "subscriptions/insight/savings.html",
        {
            "page": page,
            "rows": rows,
            "totals": totals,
            "customer": customer,
            "show_money": show_money,
        },
    )


@member_required
def savings_card(request):
    """The dashboard's seat savings card, loaded by htmx once the dashboard shows. A fragment:
    no context processors (the page around it has them)."""
    totals = selectors.savings_totals(request.reseller, now=timezone.now())
    return HttpResponse(
        render_to_string(
            "subscriptions/insight/_dashboard_savings.html",
            {"savings_totals": totals, "savings_seats": sum(t["seats"] for t in totals)},
        )
    )


@member_required
def savings_csv(request):
    customer = _customer(request)
    rows = selectors.savings_rows(
        request.reseller, now=timezone.now(), customer_id=customer.pk if customer else None
    )
    money = role_can(request.membership.role, "billing.view_money")
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="seat-savings.csv"'
    out = csv.writer(response)
    out.writerow(
        [
            "customer",
            "subscription",
            "partner_center_id",
            "seats",
            "unused",
            "reclaimable",
            "source",
            "currency",
            "monthly_price",
            "until_renewal_price",
            *(["monthly_cost", "until_renewal_cost"] if money else []),
            "renewal",
        ]
    )
    for r in rows:
        s, v = r.subscription, r.savings
        out.writerow(
            [
                s.customer.company_name,
                s.offer.name,
                s.partner_center_id or "",
                s.quantity,
                v.unused,
                v.reclaimable,
                r.source,
                s.currency,
                v.monthly_price,
                v.until_renewal_price,
                *([v.monthly_cost, v.until_renewal_cost] if money else []),
                v.renewal.isoformat(),
            ]
        )
    return response


@member_required
@require_http_methods(["GET", "POST"])
def savings_decrease(request, subscription_id):
    """One click on the savings page: the savable seats off at renewal (scheduled change).
    GET shows what will happen (portal.confirm), its button POSTs here."""
    if request.method == "GET":
        return _confirm_decrease(request, subscription_id)
    try:
        message = services.savings_schedule_decrease(
            member=request.membership, subscription_id=subscription_id
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return redirect("subscriptions:detail", subscription_id=subscription_id)


def _confirm_decrease(request, subscription_id):
    member = request.membership
    sub = subscription_get(member=member, subscription_id=subscription_id)
    require(member, "orders.place")
    row = selectors.savings_of(sub, now=timezone.now())
    v = row.savings
    return confirm_page(
        request,
        title=f"Decrease {sub.offer.name} of {sub.customer} at renewal?",
        consequences=[
            f"{sub.quantity} seats now; {row.keep} seats at renewal on "
            f"{v.renewal:%Y-%m-%d} (the seats stay until then).",
            f"{v.unused} unused and {v.reclaimable} reclaimable seats "
            f"({'read from the tenant' if row.source == 'tenant' else 'portal assignments'}).",
            f"The customer saves {money(v.monthly_price, sub.currency)} a month.",
            "Partner Center applies it at renewal; it can be removed on the subscription page "
            "until then.",
        ],
        button=f"Schedule {row.keep} seats at renewal",
        back=reverse("savings:savings"),
    )
