"""What customers add to the portal frame (portal/frame.py)."""

from django.urls import reverse
from django_scopes import scopes_disabled

from customers.models import Customer, McaAcceptance, McaStatus
from portal.frame import Queue, Widget


def dashboard_widgets(request) -> list[Widget]:
    mca = Customer.objects.filter(reseller=request.membership.reseller, mca_status=McaStatus.SENT)
    return [
        Widget(
            "customers/_attention_mca.html",
            {"mca": list(mca.order_by("company_name")[:5]), "mca_count": mca.count()},
        )
    ]


def ops_queues() -> list[Queue]:
    with scopes_disabled():
        to_log = McaAcceptance.objects.filter(logged_at__isnull=True).count()
    return [Queue("MCA acceptances to log", reverse("customers_ops:mca_queue"), to_log)]
