"""The main pages of the reseller's and operations' journeys on seed_demo data, for the
checks that run on every page (console errors, phone width, accessibility)."""

from django_scopes import scopes_disabled

RESELLER_PAGES = [
    "/dashboard/",
    "/customers/",
    "/customers/new/",
    "/subscriptions/",
    "/subscriptions/renewals/",
    "/subscriptions/buy/",
    "/subscriptions/catalog/",
    "/subscriptions/price-books/",
    "/subscriptions/transfers/",
    "/billing/",
    "/billing/reports/",
    "/billing/reports/azure-legacy/",
    "/billing/reports/azure-plan/",
    "/billing/reports/azure-plan/daily/",
    "/billing/reports/modern-workplace/",
    "/billing/statements/",
    "/savings/",
    "/billing/usage/",
    "/support/",
    "/support/tickets/new/",
    "/support/contact/",
    "/partner/programs/",
    "/partner/programs/links/",
    "/partner/members/",
    "/partner/profile/",
    "/partner/activity/",
    "/partner/api-keys/",
    "/partner/webhooks/",
    "/billing/reconciliation/",
    "/notifications/",
    "/help/",
]
OPS_PAGES = [
    "/ops/",
    "/ops/customers/mca/",
    "/ops/billing/usage/",
    "/ops/programs/",
    "/ops/billing/runs/",
    "/ops/support/",
    "/ops/provisioning/",
    "/ops/transfers/",
    "/ops/billing/reports/azure-plan/",
    "/ops/billing/reconciliation/",
    "/ops/catalog/sync/",
]


def detail_pages():
    """Pages of one customer, subscription, price book and statement of Northwind's."""
    from customers.gdap.models import AdminRelationship
    from customers.models import Customer
    from subscriptions.models import Subscription

    with scopes_disabled():
        customer = Customer.objects.get(company_name="Contoso Ltd")
        sub = Subscription.objects.filter(customer=customer, status="active").order_by("pk").first()
        book = customer.reseller.price_books.order_by("pk").first()
        gdap = AdminRelationship.objects.get(customer=customer)
    pages = [
        f"/customers/{customer.pk}/",
        f"/customers/{customer.pk}/gdap/new/",
        f"/customers/{customer.pk}/gdap/{gdap.pk}/end/",  # the confirmation
        f"/subscriptions/{sub.pk}/",
        f"/subscriptions/{sub.pk}/?upgrades=1",  # the upgrade card in the page (no JavaScript)
        f"/billing/statements/{customer.pk}/",
    ]
    if book:
        pages.append(f"/subscriptions/price-books/{book.pk}/")
    return pages


def customer_pages():
    """The customer portal of Contoso and the MCA click-through Adatum's contact received."""
    from customers.links import mca_token, portal_token
    from customers.models import Customer, McaInvitation

    with scopes_disabled():
        contoso = Customer.objects.get(company_name="Contoso Ltd")
        invitation = McaInvitation.objects.get(
            customer__company_name__startswith="Adatum", state="active"
        )
        return [f"/c/{portal_token(contoso)}/", f"/c/mca/{mca_token(invitation)}/"]
