"""Demo support plans (seed_demo, layer order)."""

from customers.models import Customer
from portal.demo import demo_resellers
from support.models import DistributorSupport, PlanAssignment, SupportPlan


def seed(*, ops_user) -> None:
    DistributorSupport.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Distributor operations desk",
            "chat_url": "https://chat.distributor.example/csp",
            "email": "csp-support@distributor.example",
            "phone": "+1 425 555 0100",
            "hours": "24 hours a day, 365 days a year",
        },
    )
    reseller = demo_resellers()["northwind"]
    premium, _ = SupportPlan.objects.update_or_create(
        reseller=reseller,
        name="Premium 24x7",
        defaults={
            "description": "Round-the-clock help for critical workloads.",
            "chat_url": "https://chat.northwind.example",
            "email": "premium@northwind.example",
            "phone": "+1 206 555 0111",
            "hours": "24x7",
            "response_urgent": "30 minutes",
            "response_high": "2 hours",
            "response_normal": "8 hours",
            "response_low": "2 business days",
        },
    )
    SupportPlan.objects.update_or_create(
        reseller=reseller,
        name="Business hours",
        defaults={
            "email": "help@northwind.example",
            "hours": "Mon–Fri 8:00–18:00 Pacific",
            "response_normal": "1 business day",
        },
    )
    contoso = Customer.objects.get(reseller=reseller, primary_domain="contoso.onmicrosoft.com")
    if not PlanAssignment.objects.filter(customer=contoso, ended_at__isnull=True).exists():
        PlanAssignment.objects.create(reseller=reseller, customer=contoso, plan=premium)
