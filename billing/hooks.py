"""What billing adds to the portal frame (portal/frame.py); the dashboard's billing widget is
in billing/reports/dashboard.py."""

from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.insight import selectors as insight
from billing.reports import dashboard
from billing.usage.models import UsageImport
from portal.frame import Queue, Widget
from portal.roles import role_can

LISTED = 100
# what the cards show: up to 100 rows are read for their count
ANOMALY_FIELDS = (
    "customer",
    "customer__company_name",
    "day",
    "currency",
    "amount",
    "expected",
    "movers",
)
BUDGET_ALERT_FIELDS = (
    "kind",
    "spent",
    "budget",
    "budget__amount",
    "budget__currency",
    "budget__customer",
    "budget__customer__company_name",
)


def _count(items: list) -> str:
    return f"{LISTED}+" if len(items) >= LISTED else str(len(items))


def dashboard_widgets(request) -> list[Widget]:
    """The billing figures; for members who see money, the week's cost anomalies and the
    month's budget alerts."""
    widgets = dashboard.dashboard_widgets(request)
    reseller = request.membership.reseller
    if role_can(request.membership.role, "billing.view_money"):
        # one query each: a week's anomalies and a month's budget alerts are few
        recent = list(insight.recent_anomalies(reseller).only(*ANOMALY_FIELDS)[:LISTED])
        budget_alerts = list(
            insight.budget_alerts_this_month(reseller, today=timezone.now().date()).only(
                *BUDGET_ALERT_FIELDS
            )[:LISTED]
        )
        widgets += [
            Widget(
                "billing/insight/_attention_anomalies.html",
                {"anomalies": recent[:5], "anomalies_count": _count(recent)},
            ),
            Widget(
                "billing/insight/_attention_budgets.html",
                {"budget_alerts": budget_alerts[:5], "budget_alerts_count": _count(budget_alerts)},
            ),
        ]
    return widgets


def ops_queues() -> list[Queue]:
    with scopes_disabled():
        running = UsageImport.objects.filter(
            status__in=[
                UsageImport.Status.PENDING,
                UsageImport.Status.VALIDATING,
                UsageImport.Status.IMPORTING,
            ]
        ).count()
    return [
        Queue(
            "Usage imports",
            reverse("billing_ops:usage_imports"),
            running,
            note="CSV upload, fetch from Partner Center; count: imports under way",
        ),
        Queue("Billing runs", reverse("billing_runs_ops:runs")),
        Queue(
            "Billing reports",
            reverse("billing_ops:reports"),
            note="all resellers, filter by reseller",
        ),
        Queue(
            "Reconciliation",
            reverse("billing_ops:reconciliation"),
            note="Microsoft ↔ cost ledger ↔ invoices and statements, per period",
        ),
    ]
