"""What billing adds to the portal frame (portal/frame.py); the dashboard's billing widget is
in billing/reports/dashboard.py."""

from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.insight import selectors as insight
from billing.reports import dashboard
from billing.usage.models import UsageImport
from portal.frame import Queue, Widget, first_and_count
from portal.roles import role_can

LISTED = 100  # a card counts up to 100 ("100+" beyond)
# what the cards show
ANOMALY_FIELDS = (
    "customer",
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


def _count(count: int) -> str:
    return f"{LISTED}+" if count >= LISTED else str(count)


def dashboard_widgets(request) -> list[Widget]:
    """The billing figures; for members who see money, the week's cost anomalies and the
    month's budget alerts."""
    widgets = dashboard.dashboard_widgets(request)
    reseller = request.membership.reseller
    if role_can(request.membership.role, "billing.view_money"):
        # one query each, the first five rows and the count of all (not up to 100 rows read)
        recent, recent_count = first_and_count(
            insight.recent_anomalies(reseller).only(*ANOMALY_FIELDS)
        )
        budget_alerts, budget_alerts_count = first_and_count(
            insight.budget_alerts_this_month(reseller, today=timezone.now().date()).only(
                *BUDGET_ALERT_FIELDS
            )
        )
        widgets += [
            Widget(
                "billing/insight/_attention_anomalies.html",
                {"anomalies": recent, "anomalies_count": _count(recent_count)},
            ),
            Widget(
                "billing/insight/_attention_budgets.html",
                {
                    "budget_alerts": budget_alerts,
                    "budget_alerts_count": _count(budget_alerts_count),
                },
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
