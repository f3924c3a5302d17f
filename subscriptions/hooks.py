"""What subscriptions add to the portal frame (portal/frame.py)."""

from datetime import timedelta

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from portal.frame import Queue, Widget, first_and_count
from subscriptions import rules, selectors
from subscriptions.catalog.models import ProductType
from subscriptions.models import Subscription
from subscriptions.transfers.models import Transfer


def dashboard_widgets(request) -> list[Widget]:
    """Cancellation windows closing within 48 hours, renewals in the next 30 days."""
    reseller = request.membership.reseller
    now = timezone.now()
    today = now.date()
    active = Subscription.objects.filter(reseller=reseller, status=Subscription.Status.ACTIVE)
    # open windows that close within 48 hours: opened between 168h and 120h ago (an index on
    # the reseller and the opening instant reads only those); the offer's and the customer's
    # names, the card's only use of them, read with the row (no related rows built)
    closing = (
        active.filter(
            offer__product_type__billing=ProductType.Billing.SEATS,
            window_opened_at__gt=now - rules.WINDOW,
            window_opened_at__lte=now - rules.WINDOW + timedelta(hours=48),
        )
        .only("window_opened_at")
        .annotate(offer_name=F("offer__name"), customer_name=F("customer__company_name"))
    )
    # the renewal's wording reads the term, auto-renew, state and the product type's billing;
    # the customer's name read with the row
    renewals = (
        active.filter(
            term_end__gte=today - timedelta(days=1), term_end__lt=today + timedelta(days=30)
        )
        .exclude(offer__product_type__billing=ProductType.Billing.ONE_TIME)
        .select_related("offer__product_type")
        .only(
            "term_end",
            "auto_renew",
            "status",
            "provisioning",
            "offer__name",
            "offer__product_type__billing",
        )
        .annotate(customer_name=F("customer__company_name"))
    )
    closing_rows, closing_count = first_and_count(closing.order_by("window_opened_at"))
    windows = [
        {"sub": s, "closes_at": rules.window_closes_at(s.window_opened_at)} for s in closing_rows
    ]
    renewal_rows, renewals_count = first_and_count(renewals.order_by("term_end"))
    return [
        Widget(
            "subscriptions/_attention_windows.html",
            {"windows": windows, "windows_count": closing_count},
        ),
        Widget(
            "subscriptions/_attention_renewals.html",
            {"renewals": renewal_rows, "renewals_count": renewals_count},
        ),
        # counted by its own request once the page shows (savings:card)
        Widget("subscriptions/insight/_dashboard_savings_loading.html", {}),
    ]


def ops_queues() -> list[Queue]:
    with scopes_disabled():
        failed = Subscription.objects.exclude(
            provisioning=Subscription.Provisioning.PROVISIONED
        ).count()
        transfers = Transfer.objects.filter(
            status=Transfer.Status.PENDING, source_reseller__isnull=True
        ).count()
    return [
        Queue("Orders not provisioned", reverse("provisioning_ops:list"), failed),
        Queue(
            "Transfers from external providers",
            reverse("subscriptions_transfers_ops:list"),
            transfers,
        ),
        Queue("Catalog import", reverse("subscriptions_ops:catalog_import")),
    ]


def customer_context(member, customer) -> dict:
    subs = list(
        selectors.subscriptions_of(member.reseller)
        .filter(customer=customer)
        .order_by("status", "offer__name")
    )
    return {
        "subscriptions": subs,
        "seats": selectors.seat_summary(customer),
        "missing": selectors.purchase_missing(member.reseller, customer),
    }


def customer_portal_context(customer) -> dict:
    subs = (
        selectors.subscriptions_of(customer.reseller)
        .filter(customer=customer, status=Subscription.Status.ACTIVE)
        .order_by("offer__name")
    )
    return {"subscriptions": subs}
