"""What billing adds to the portal frame (portal/frame.py); the dashboard's billing widget is
in billing/reports/dashboard.py."""

from django.urls import reverse
from django_scopes import scopes_disabled

from billing.models import UsageImport
from portal.frame import Queue


def ops_queues() -> list[Queue]:
    with scopes_disabled():
        running = UsageImport.objects.filter(
            status__in=[UsageImport.Status.PENDING, UsageImport.Status.VALIDATING,
                        UsageImport.Status.IMPORTING]).count()
    return [
        Queue("Usage imports", reverse("billing_ops:usage_imports"), running,
              note="CSV upload, fetch from Partner Center; count: imports under way"),
        Queue("Billing runs", reverse("billing_runs_ops:runs")),
        Queue("Billing reports", reverse("billing_ops:reports"),
              note="all resellers, filter by reseller"),
        Queue("Reconciliation", reverse("billing_ops:reconciliation"),
              note="Microsoft ↔ cost ledger ↔ invoices and statements, per period"),
    ]
