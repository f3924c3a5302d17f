"""Every state-changing service against every role: an allowed role succeeds, a refused one
gets PermissionDenied and not a single row anywhere changes (audit trail included)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from billing.usage import services as billing
from customers import services as customers
from partner_center.models import SandboxCustomer
from portal import services as portal
from portal.models import Reseller
from portal.roles import Role, role_can
from programs import services as programs
from programs.models import Program, ProgramRequest
from subscriptions import services as subscriptions
from support import services as support
from tests import factories
from tests.subscriptions.conftest import PREMIUM, buy_now
from webhooks import services as webhooks

OUR_APPS = (
    "portal",
    "customers",
    "subscriptions",
    "support",
    "programs",
    "billing",
    "partner_center",
    "webhooks",
)
USAGE_HEADER = b"CustomerId,SubscriptionId,UsageDate\n"
NEW_OFFER = (
    b"sku,name,product_type,terms,billing_frequencies,min_quantity,max_quantity,"
    b"cap_group,term,currency,cost,effective_from\n"
    b"CFQ7TTC0TEST:0001,Test offer,nce,P1M,monthly,1,100,,P1M,USD,10.00,2026-01-01\n"
)


def snapshot() -> dict:
    with scopes_disabled():
        return {
            m._meta.label: m._base_manager.count()
            for m in apps.get_models()
            if m._meta.app_label in OUR_APPS
        }


def _customer(ctx):
    return factories.CustomerFactory(reseller=ctx["reseller"])


def _listed_in_partner_center(ctx):
    """A customer Partner Center lists for the reseller under its domain (not linked yet)."""
    customer = factories.CustomerFactory(reseller=ctx["reseller"])
    SandboxCustomer.objects.create(
        company_name="Listed",
        domain=customer.primary_domain,
        country="US",
        currency="USD",
        reseller_mpn_id=ctx["reseller"].partner_id,
    )
    return customer


def _approved(ctx):
    with scopes_disabled():
        return ProgramRequest.objects.get(reseller=ctx["reseller"], program__code="azure-plan")


def _unverified(ctx):
    Reseller.objects.filter(pk=ctx["reseller"].pk).update(partner_id_verified_at=None)
    return ctx["reseller"]


def _not_approved(ctx, code):
    """The program, after taking back the reseller's approval of it (set-up only)."""
    with scopes_disabled():
        ProgramRequest.objects.filter(reseller=ctx["reseller"], program__code=code).delete()
    return Program.objects.get(code=code)


def _subscription(ctx, frequency="monthly"):
    return buy_now(
        member=ctx["owner"],
        customer=ctx["onboard"](ctx["owner"]),
        offer=ctx["catalog"][PREMIUM],
        term="P1Y",
        billing_frequency=frequency,
        quantity=5,
        idempotency_key="setup",
    )


# (service, action it needs, set-up(ctx) -> call(member))
CASES = [
    (
        "reseller_update_profile",
        "reseller.edit_profile",
        lambda ctx: lambda m: portal.reseller_update_profile(member=m, support_phone="+1 555 0100"),
    ),
    (
        "invitation_create",
        "members.manage",
        lambda ctx: lambda m: portal.invitation_create(member=m, email="new@x.test", role="viewer"),
    ),
    (
        "membership_change_role",
        "members.manage",
        lambda ctx: (
            lambda t: lambda m: portal.membership_change_role(member=m, target=t, role=Role.SALES)
        )(ctx["member_of"](ctx["reseller"], Role.VIEWER)),
    ),
    (
        "membership_remove",
        "members.manage",
        lambda ctx: (lambda t: lambda m: portal.membership_remove(member=m, target=t))(
            ctx["member_of"](ctx["reseller"], Role.VIEWER)
        ),
    ),
    (
        "program_request_create",
        "programs.request",
        lambda ctx: (
            lambda p: (
                lambda m: programs.program_request_create(
                    member=m, program=p, accepted_terms_version=p.terms_version
                )
            )
        )(_not_approved(ctx, "modern-workplace")),
    ),
    (
        "customer_create",
        "customers.edit",
        lambda ctx: (
            lambda m: customers.customer_create(
                member=m,
                company_name="Lamna",
                country="US",
                currency="USD",
                address_line1="1 Main St",
                city="Seattle",
                postal_code="98101",
                contact_first_name="R",
                contact_last_name="K",
                contact_email="r@lamna.test",
                primary_domain="lamna.onmicrosoft.com",
            )
        ),
    ),
    (
        "customer_update",
        "customers.edit",
        lambda ctx: (
            lambda c: lambda m: customers.customer_update(member=m, customer=c, city="Redmond")
        )(_customer(ctx)),
    ),
    (
        "customer_create_in_partner_center",
        "customers.edit",
        lambda ctx: (
            lambda c: lambda m: customers.customer_create_in_partner_center(member=m, customer=c)
        )(_customer(ctx)),
    ),
    (
        "customer_link_tenant",
        "customers.edit",
        lambda ctx: (lambda c: lambda m: customers.customer_link_tenant(member=m, customer=c))(
            _listed_in_partner_center(ctx)
        ),
    ),
    (
        "mca_send",
        "customers.edit",
        lambda ctx: (lambda c: lambda m: customers.mca_send(member=m, customer=c))(_customer(ctx)),
    ),
    (
        "portal_link_send",
        "customers.edit",
        lambda ctx: (lambda c: lambda m: customers.portal_link_send(member=m, customer=c))(
            _customer(ctx)
        ),
    ),
    (
        "price_book_create",
        "pricebooks.edit",
        lambda ctx: lambda m: subscriptions.price_book_create(member=m),
    ),
    (
        "price_rule_add",
        "pricebooks.edit",
        lambda ctx: (
            lambda b: (
                lambda m: subscriptions.price_rule_add(
                    member=m,
                    book=b,
                    kind="markup",
                    percent=Decimal("10"),
                    effective_from=dt.date.today() + dt.timedelta(days=1),
                )
            )
        )(subscriptions.price_book_create(member=ctx["owner"])),
    ),
    (
        "subscription_purchase",
        "orders.place",
        lambda ctx: (
            lambda c: (
                lambda m: subscriptions.subscription_purchase(
                    member=m,
                    customer=c,
                    offer=ctx["catalog"][PREMIUM],
                    term="P1M",
                    billing_frequency="monthly",
                    quantity=3,
                    idempotency_key="buy",
                )
            )
        )(ctx["onboard"](ctx["owner"])),
    ),
    (
        "subscription_change_seats",
        "orders.place",
        lambda ctx: (
            lambda s: (
                lambda m: subscriptions.subscription_change_seats(
                    member=m, subscription=s, quantity=6, idempotency_key="seats"
                )
            )
        )(_subscription(ctx)),
    ),
    (
        "subscription_cancel",
        "orders.place",
        lambda ctx: (
            lambda s: (
                lambda m: subscriptions.subscription_cancel(
                    member=m, subscription=s, idempotency_key="cancel"
                )
            )
        )(_subscription(ctx)),
    ),
    (
        "subscription_set_auto_renew",
        "orders.place",
        lambda ctx: (
            lambda s: (
                lambda m: subscriptions.subscription_set_auto_renew(
                    member=m, subscription=s, auto_renew=False
                )
            )
        )(_subscription(ctx)),
    ),
    (
        "subscription_change_term",
        "orders.place",
        lambda ctx: (
            lambda s: (
                lambda m: subscriptions.subscription_change_term(
                    member=m,
                    subscription=s,
                    term="P3Y",
                    billing_frequency="monthly",
                    idempotency_key="term",
                )
            )
        )(_subscription(ctx)),
    ),
    (
        "subscription_schedule_frequency",
        "orders.place",
        lambda ctx: (
            lambda s: (
                lambda m: subscriptions.subscription_schedule_frequency(
                    member=m, subscription=s, billing_frequency="monthly"
                )
            )
        )(_subscription(ctx, "annual")),
    ),
    (
        "seat_assign",
        "orders.place",
        lambda ctx: (
            lambda s: (
                lambda m: subscriptions.seat_assign(
                    member=m, subscription=s, display_name="Ann", user_principal_name="ann@x.test"
                )
            )
        )(_subscription(ctx)),
    ),
    (
        "support_plan_save",
        "support.manage_plans",
        lambda ctx: (
            lambda m: support.support_plan_save(
                member=m, name="Gold", hours="24x7", email="gold@x.test"
            )
        ),
    ),
    (
        "support_plan_assign",
        "support.manage_plans",
        lambda ctx: (
            lambda c, p: lambda m: support.support_plan_assign(member=m, customer=c, plan=p)
        )(_customer(ctx), factories.SupportPlanFactory(reseller=ctx["reseller"])),
    ),
    (
        "ticket_open",
        "tickets.open",
        lambda ctx: (
            lambda m: support.ticket_open(
                member=m,
                subject="Help",
                category="billing",
                priority="normal",
                description="Please",
            )
        ),
    ),
    (
        "usage_import_upload",
        "usage.import",
        lambda ctx: (
            lambda m: billing.usage_import_upload(
                member=m, file=SimpleUploadedFile("usage.csv", USAGE_HEADER)
            )
        ),
    ),
    (
        "webhook_endpoint_create",
        "webhooks.manage",
        lambda ctx: (
            lambda m: webhooks.webhook_endpoint_create(
                member=m, url="https://psa.example.test/hook", events=["customer.created"]
            )
        ),
    ),
    (
        "webhook_endpoint_update",
        "webhooks.manage",
        lambda ctx: (
            lambda e: (
                lambda m: webhooks.webhook_endpoint_update(
                    member=m, endpoint=e, description="HaloPSA"
                )
            )
        )(factories.WebhookEndpointFactory(reseller=ctx["reseller"])),
    ),
    (
        "webhook_endpoint_rotate_secret",
        "webhooks.manage",
        lambda ctx: (
            lambda e: lambda m: webhooks.webhook_endpoint_rotate_secret(member=m, endpoint=e)
        )(factories.WebhookEndpointFactory(reseller=ctx["reseller"])),
    ),
    (
        "webhook_endpoint_delete",
        "webhooks.manage",
        lambda ctx: (lambda e: lambda m: webhooks.webhook_endpoint_delete(member=m, endpoint=e))(
            factories.WebhookEndpointFactory(reseller=ctx["reseller"])
        ),
    ),
    (
        "webhook_delivery_redeliver",
        "webhooks.manage",
        lambda ctx: (lambda d: lambda m: webhooks.webhook_delivery_redeliver(member=m, delivery=d))(
            factories.WebhookDeliveryFactory(endpoint__reseller=ctx["reseller"])
        ),
    ),
]

STAFF_CASES = [
    (
        "program_request_revoke",
        lambda ctx: (
            lambda r: (
                lambda u: programs.program_request_revoke(
                    user=u, program_request=r, reason="Agreement lapsed"
                )
            )
        )(_approved(ctx)),
    ),
    (
        "reseller_verify_partner_id",
        lambda ctx: (
            lambda r: lambda u: portal.reseller_verify_partner_id(user=u, reseller_id=r.pk)
        )(_unverified(ctx)),
    ),
    (
        "customer_relink_tenant",
        lambda ctx: (
            lambda c: (
                lambda u: customers.customer_relink_tenant(
                    user=u, customer_id=c.pk, tenant_id=None, reason="Wrong tenant"
                )
            )
        )(_customer(ctx)),
    ),
    ("catalog_import", lambda ctx: lambda u: subscriptions.catalog_import(user=u, data=NEW_OFFER)),
    (
        "mca_mark_logged",
        lambda ctx: (
            lambda a: (
                lambda u: customers.mca_mark_logged(user=u, acceptance_id=a.pk, reference="PC-1")
            )
        )(factories.McaAcceptanceFactory(invitation__customer__reseller=ctx["reseller"])),
    ),
    (
        "program_request_approve",
        lambda ctx: (
            lambda r: lambda u: programs.program_request_approve(user=u, program_request=r)
        )(factories.ProgramRequestFactory(reseller=ctx["reseller"])),
    ),
    (
        "ticket_ops_reply",
        lambda ctx: (lambda t: lambda u: support.ticket_ops_reply(user=u, ticket=t, body="Answer"))(
            factories.TicketFactory(reseller=ctx["reseller"])
        ),
    ),
    (
        "usage_fetch_start",
        lambda ctx: (
            lambda u: billing.usage_fetch_start(
                user=u,
                start=dt.date.today() - dt.timedelta(days=3),
                end=dt.date.today() - dt.timedelta(days=1),
            )
        ),
    ),
]


class Context(dict):
    """Set-up values; the catalog and onboarding are only loaded by the cases that use them."""

    def __init__(self, request, **values):
        super().__init__(**values)
        self.request = request

    def __missing__(self, key):
        return self.request.getfixturevalue(key)  # "catalog", "onboard"


@pytest.fixture
def ctx(request, reseller_a, owner_a, member_of):
    reseller_a.mpa_accepted_on = dt.date(2024, 1, 1)
    reseller_a.save()
    return Context(request, reseller=reseller_a, owner=owner_a, member_of=member_of)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name, action, setup", CASES, ids=[c[0] for c in CASES])
def test_member_services_against_every_role(ctx, role, name, action, setup, member_of):
    call = setup(ctx)
    member = member_of(ctx["reseller"], role)
    before = snapshot()
    if role_can(role, action):
        call(member)
        assert snapshot() != before, f"{name} by {role} changed nothing"
    else:
        with pytest.raises(PermissionDenied):
            call(member)
        assert snapshot() == before, f"{name} refused for {role} but wrote something"


@pytest.mark.django_db
@pytest.mark.parametrize("name, setup", STAFF_CASES, ids=[c[0] for c in STAFF_CASES])
def test_operations_services_refuse_every_reseller_role(ctx, name, setup, member_of):
    call = setup(ctx)
    for role in Role:
        user = member_of(ctx["reseller"], role).user
        before = snapshot()
        with pytest.raises(PermissionDenied):
            call(user)
        assert snapshot() == before, f"{name} refused for {role} but wrote something"
    before = snapshot()
    call(factories.UserFactory(is_staff=True))
    assert snapshot() != before, f"{name} by operations staff changed nothing"
