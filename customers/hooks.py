"""What customers add to the portal frame (portal/frame.py)."""

from datetime import timedelta

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from customers.models import Customer, McaAcceptance, McaStatus
from portal.frame import Queue, Widget, first_and_count


def dashboard_widgets(request) -> list[Widget]:
    mca = Customer.objects.filter(reseller=request.membership.reseller, mca_status=McaStatus.SENT)
    rows, count = first_and_count(mca.order_by("company_name").only("company_name"))
    return [
        Widget("customers/_attention_mca.html", {"mca": rows, "mca_count": count}),
        _gdap_widget(request.membership.reseller),
    ]


def _gdap_widget(reseller) -> Widget:
    """GDAP relationships waiting for the customer's approval or ending within 30 days without
    auto-extend."""
    from customers.gdap.models import AdminRelationship

    S = AdminRelationship.Status
    soon = timezone.now() + timedelta(days=30)
    rows = list(
        AdminRelationship.objects.filter(reseller=reseller)
        .filter(
            Q(status=S.APPROVAL_PENDING)
            | Q(status=S.ACTIVE, auto_extend=False, ends_at__lte=soon)
            | Q(status=S.EXPIRING)
        )
        .only("customer", "status", "ends_at")
        .annotate(customer_name=F("customer__company_name"))
        .order_by("ends_at", "created_at")[:6]
    )
    return Widget("customers/gdap/_attention.html", {"gdap_attention": rows})


def ops_queues() -> list[Queue]:
    with scopes_disabled():
        to_log = McaAcceptance.objects.filter(logged_at__isnull=True).count()
    return [Queue("MCA acceptances to log", reverse("customers_ops:mca_queue"), to_log)]
