from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.insight import selectors, services
from billing.insight.forms import BudgetForm, ThresholdsForm
from billing.insight.models import InsightSettings
from customers.selectors import customers_of
from partner_center.errors import GatewayError
from portal.decorators import member_required
from portal.forms_utils import posted
from portal.permissions import require
from portal.roles import role_can
from subscriptions.catalog.models import ProductType
from subscriptions.selectors import subscriptions_of


@member_required
def anomalies(request):
    """Cost anomalies of the reseller's customers, newest first; managers tune thresholds."""
    member = request.membership
    require(member, "billing.view_money")
    customer_id = request.GET.get("customer", "")
    t = selectors.thresholds_of(request.reseller)
    form = ThresholdsForm(
        posted(request),
        instance=InsightSettings(
            reseller=request.reseller,
            anomaly_score=t.score,
            anomaly_min_amount=t.min_amount,
            anomaly_min_ratio=t.min_ratio,
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.insight_settings_update(
                member=member,
                score=form.cleaned_data["anomaly_score"],
                min_amount=form.cleaned_data["anomaly_min_amount"],
                min_ratio=form.cleaned_data["anomaly_min_ratio"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Anomaly thresholds saved; they apply from the next check.")
            return redirect("billing_insight:anomalies")
    alerts = selectors.anomalies_of(
        request.reseller, customer_id=int(customer_id) if customer_id.isdigit() else None
    )[:200]
    return render(
        request,
        "billing/insight/anomalies.html",
        {
            "alerts": alerts,
            "form": form,
            "can_configure": role_can(member.role, "insight.configure"),
        },
    )


@member_required
def budgets(request):
    """The customers' monthly Azure budgets with the month so far; set or replace one."""
    member = request.membership
    require(member, "billing.view_money")
    subs = subscriptions_of(request.reseller).filter(
        status="active", offer__product_type__billing=ProductType.Billing.USAGE
    )
    form = BudgetForm(
        posted(request),
        customers=customers_of(request.reseller),
        subscriptions=subs.select_related("customer", "offer"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            budget = services.budget_set(
                member=member,
                customer_id=data["customer"].pk,
                amount=data["amount"],
                subscription_id=data["subscription"].pk if data["subscription"] else None,
            )
        except (ValidationError, GatewayError) as exc:
            form.add_error(None, str(exc) if isinstance(exc, GatewayError) else exc)
        else:
            messages.success(
                request,
                f"Budget saved: {budget}."
                + (" Partner Center has it too." if budget.synced_at else ""),
            )
            return redirect("billing_insight:budgets")
    today = timezone.now().date()
    return render(
        request,
        "billing/insight/budgets.html",
        {
            "rows": selectors.budgets_overview(request.reseller, today=today),
            "form": form,
            "alerts": selectors.budget_alerts_this_month(request.reseller, today=today),
            "can_edit": role_can(member.role, "budgets.edit"),
        },
    )


@member_required
@require_POST
def budget_remove(request, budget_id):
    services.budget_remove(member=request.membership, budget_id=budget_id)
    messages.success(request, "Budget removed.")
    return redirect("billing_insight:budgets")
