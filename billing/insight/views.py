from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from billing.insight import selectors, services
from billing.insight.forms import ThresholdsForm
from billing.insight.models import InsightSettings
from portal.decorators import member_required
from portal.forms_utils import posted
from portal.permissions import require
from portal.roles import role_can


@member_required
def anomalies(request):
    """Cost anomalies of the reseller's customers, newest first; managers tune thresholds."""
    member = request.membership
    require(member, "billing.view_money")
    customer_id = request.GET.get("customer", "")
    t = selectors.thresholds_of(request.reseller)
    form = ThresholdsForm(posted(request), instance=InsightSettings(
        reseller=request.reseller, anomaly_score=t.score, anomaly_min_amount=t.min_amount,
        anomaly_min_ratio=t.min_ratio))
    if request.method == "POST" and form.is_valid():
        try:
            services.insight_settings_update(
                member=member, score=form.cleaned_data["anomaly_score"],
                min_amount=form.cleaned_data["anomaly_min_amount"],
                min_ratio=form.cleaned_data["anomaly_min_ratio"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Anomaly thresholds saved; they apply from the next check.")
            return redirect("billing_insight:anomalies")
    alerts = selectors.anomalies_of(request.reseller, customer_id=int(customer_id)
                                    if customer_id.isdigit() else None)[:200]
    return render(request, "billing/insight/anomalies.html", {
        "alerts": alerts, "form": form, "can_configure": role_can(member.role,
                                                                  "insight.configure")})
