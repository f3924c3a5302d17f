"""factory-boy factories. Scoped models are created with scopes disabled (test set-up only)."""

import datetime
import uuid
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from django_scopes import scopes_disabled

from customers.models import Customer
from portal.models import Invitation, Membership, Notification, Reseller, User
from portal.roles import Role
from programs.models import Program, ProgramRequest
from subscriptions import rules
from subscriptions.catalog.models import ProductType

PASSWORD = "correct-horse-battery"


class UnscopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


TRANSACTING_PROGRAMS = ("azure-reseller", "azure-plan", "modern-workplace")


class ResellerFactory(factory.django.DjangoModelFactory):
    """A reseller ready to transact: its programs approved. `programs=()` for a new one."""

    class Meta:
        model = Reseller
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Reseller {n} LLC")
    country = "US"
    currency = "USD"
    partner_id = factory.Sequence(lambda n: f"{1000000 + n}")
    partner_id_verified_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.partner_id else None
    )

    @factory.post_generation
    def programs(self, create, extracted, **kwargs):
        codes = TRANSACTING_PROGRAMS if extracted is None else extracted
        if not create or not codes:
            return
        now = timezone.now()
        if not Program.objects.exists():  # a transactional test flushed the seeded programs
            from django.apps import apps

            from programs.defaults import ensure_programs

            ensure_programs(apps)
        with scopes_disabled():
            ProgramRequest.objects.bulk_create(
                [
                    ProgramRequest(
                        reseller=self,
                        program=program,
                        state=ProgramRequest.State.APPROVED,
                        requested_at=now,
                        decided_at=now,
                        terms_version=program.terms_version,
                        terms_accepted_at=now,
                    )
                    for program in Program.objects.filter(code__in=codes)
                ]
            )


class MembershipFactory(UnscopedFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    reseller = factory.SubFactory(ResellerFactory)
    role = Role.OWNER


class InvitationFactory(UnscopedFactory):
    class Meta:
        model = Invitation

    reseller = factory.SubFactory(ResellerFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.SALES


class NotificationFactory(UnscopedFactory):
    class Meta:
        model = Notification

    reseller = factory.SubFactory(ResellerFactory)
    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Notice {n}")


class CustomerFactory(UnscopedFactory):
    class Meta:
        model = Customer

    reseller = factory.SubFactory(ResellerFactory)
    company_name = factory.Sequence(lambda n: f"Customer {n} Inc")
    country = "US"
    currency = "USD"
    address_line1 = "1 Main Street"
    city = "Seattle"
    postal_code = "98101"
    contact_first_name = "Pat"
    contact_last_name = "Doe"
    contact_email = factory.Sequence(lambda n: f"contact{n}@customer.test")
    primary_domain = factory.Sequence(lambda n: f"customer{n}.onmicrosoft.com")


class McaInvitationFactory(UnscopedFactory):
    class Meta:
        model = "customers.McaInvitation"

    customer = factory.SubFactory(CustomerFactory)
    reseller = factory.SelfAttribute("customer.reseller")
    sent_to = factory.SelfAttribute("customer.contact_email")
    sent_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))


class McaAcceptanceFactory(UnscopedFactory):
    """An accepted MCA; the customer's status follows."""

    class Meta:
        model = "customers.McaAcceptance"
        skip_postgeneration_save = True

    invitation = factory.SubFactory(McaInvitationFactory, state="used")
    customer = factory.SelfAttribute("invitation.customer")
    reseller = factory.SelfAttribute("invitation.reseller")
    first_name = "Pat"
    last_name = "Doe"
    email = factory.SelfAttribute("customer.contact_email")
    date_agreed = factory.LazyFunction(timezone.now)
    template_id = "mca-2024-04"
    template_version = "April 2024"

    @factory.post_generation
    def status(self, create, extracted, **kwargs):
        status = "logged" if self.logged_at else "accepted"
        with scopes_disabled():
            Customer.objects.filter(pk=self.customer_id).update(mca_status=status)
        self.customer.mca_status = status


class SupportPlanFactory(UnscopedFactory):
    class Meta:
        model = "support.SupportPlan"

    reseller = factory.SubFactory(ResellerFactory)
    name = factory.Sequence(lambda n: f"Plan {n}")
    email = "help@reseller.test"
    hours = "Mon–Fri 8–18"


class TicketFactory(UnscopedFactory):
    class Meta:
        model = "support.Ticket"

    reseller = factory.SubFactory(ResellerFactory)
    subject = factory.Sequence(lambda n: f"Ticket subject {n}")
    category = "billing"
    priority = "normal"
    first_response_due_at = factory.LazyFunction(timezone.now)


class TicketMessageFactory(UnscopedFactory):
    class Meta:
        model = "support.TicketMessage"

    ticket = factory.SubFactory(TicketFactory)
    reseller = factory.SelfAttribute("ticket.reseller")
    body = "Hello"


class TicketAttachmentFactory(UnscopedFactory):
    class Meta:
        model = "support.TicketAttachment"

    message = factory.SubFactory(TicketMessageFactory)
    reseller = factory.SelfAttribute("message.reseller")
    file = factory.django.FileField(filename="notes.txt", data=b"secret notes")
    original_name = "notes.txt"
    size = 12


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "subscriptions.Offer"

    sku = factory.Sequence(lambda n: f"CFQ7TTC0TEST:{n:04d}")
    name = factory.Sequence(lambda n: f"Test offer {n}")
    product_type = factory.LazyFunction(lambda: ProductType.objects.get(code="nce"))
    terms = "P1M,P1Y"
    billing_frequencies = "monthly,annual"


class PriceBookFactory(UnscopedFactory):
    class Meta:
        model = "subscriptions.PriceBook"

    reseller = factory.SubFactory(ResellerFactory)
    customer = factory.SubFactory(CustomerFactory, reseller=factory.SelfAttribute("..reseller"))
    name = factory.Sequence(lambda n: f"Book {n}")


class PriceRuleFactory(UnscopedFactory):
    class Meta:
        model = "subscriptions.PriceRule"

    book = factory.SubFactory(PriceBookFactory)
    reseller = factory.SelfAttribute("book.reseller")
    kind = "markup"
    percent = 10
    effective_from = factory.LazyFunction(lambda: timezone.now().date())


def _base_program():
    from programs.models import Program

    return Program.objects.get(code="azure-reseller")


class ProgramRequestFactory(UnscopedFactory):
    class Meta:
        model = "programs.ProgramRequest"

    reseller = factory.SubFactory(ResellerFactory, programs=())
    program = factory.LazyFunction(_base_program)
    state = "pending"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A pending request replaces the reseller's approval of that program (the factory's
        # resellers start with their programs approved).
        with scopes_disabled():
            model_class.objects.filter(
                reseller=kwargs["reseller"],
                program=kwargs["program"],
                state__in=["pending", "approved"],
            ).delete()
        return super()._create(model_class, *args, **kwargs)


def _azure_plan_offer():
    from subscriptions.catalog.models import Offer

    return Offer.objects.get_or_create(
        sku="DZH318Z0BPS6:0001",
        defaults={
            "name": "Microsoft Azure plan",
            "terms": "P1M",
            "billing_frequencies": "monthly",
            "max_quantity": 1,
            "product_type": ProductType.objects.get(code="azure-plan"),
        },
    )[0]


class SubscriptionFactory(UnscopedFactory):
    """A customer's subscription (default: an Azure plan) with a Partner Center ID; the
    customer gets a tenant ID."""

    class Meta:
        model = "subscriptions.Subscription"

    reseller = factory.SubFactory(ResellerFactory)
    customer = factory.SubFactory(
        CustomerFactory,
        reseller=factory.SelfAttribute("..reseller"),
        currency=factory.SelfAttribute("..reseller.currency"),
        tenant_id=factory.LazyFunction(uuid.uuid4),
    )
    offer = factory.LazyFunction(_azure_plan_offer)
    partner_center_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    term = "P1M"
    billing_frequency = "monthly"
    quantity = 1
    purchased_at = factory.LazyFunction(
        lambda: (
            timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
            - datetime.timedelta(days=90)
        )
    )
    term_start = factory.LazyAttribute(lambda o: o.purchased_at.date())
    term_end = factory.LazyAttribute(lambda o: o.purchased_at.date() + datetime.timedelta(days=29))
    window_opened_at = factory.SelfAttribute("purchased_at")
    currency = factory.SelfAttribute("customer.currency")
    unit_cost = 0
    unit_price = 0


class UsageImportFactory(UnscopedFactory):
    class Meta:
        model = "billing.UsageImport"

    reseller = factory.SubFactory(ResellerFactory)
    file_name = factory.Sequence(lambda n: f"usage-{n}.csv")
    status = "done"


class SeatSubscriptionFactory(SubscriptionFactory):
    """A New Commerce seat subscription bought just now (its 168-hour window is open)."""

    offer = factory.SubFactory(OfferFactory)
    term = "P1Y"
    quantity = 10
    purchased_at = factory.LazyFunction(timezone.now)
    term_end = factory.LazyAttribute(lambda o: rules.term_end(o.term_start, o.term))
    unit_cost = 22
    unit_price = 25


class SeatAssignmentFactory(UnscopedFactory):
    class Meta:
        model = "subscriptions.SeatAssignment"

    subscription = factory.SubFactory(SeatSubscriptionFactory)
    reseller = factory.SelfAttribute("subscription.reseller")
    display_name = factory.Faker("name")
    user_principal_name = factory.Sequence(lambda n: f"user{n}@tenant.test")


class TransferFactory(UnscopedFactory):
    """A pending request of the customer's reseller (target) from a provider outside the
    portal, unless source_reseller is given."""

    class Meta:
        model = "subscriptions.Transfer"

    customer = factory.SubFactory(CustomerFactory, tenant_id=factory.Faker("uuid4"))
    target_reseller = factory.SelfAttribute("customer.reseller")
    source_partner_id = "7654321"
    source_reseller = None
    partner_center_transfer_id = factory.Sequence(lambda n: f"transfer-{n}")
    requested_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    idempotency_key = factory.Sequence(lambda n: f"key-{n}")


class TransferItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "subscriptions.TransferItem"

    transfer = factory.SubFactory(TransferFactory)
    partner_center_id = factory.Sequence(lambda n: f"00000000-0000-4000-9000-{n:012d}")
    offer = factory.SubFactory(OfferFactory)
    quantity = 5


class LedgerSubscriptionFactory(UnscopedFactory):
    """A seat subscription with fixed dates and prices, for ledger tests."""

    class Meta:
        model = "subscriptions.Subscription"

    customer = factory.SubFactory(CustomerFactory)
    reseller = factory.SelfAttribute("customer.reseller")
    offer = factory.SubFactory(OfferFactory)
    partner_center_id = factory.Sequence(lambda n: f"sub-{n:08d}")
    term = "P1M"
    billing_frequency = "monthly"
    quantity = 10
    purchased_at = factory.LazyFunction(
        lambda: datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)
    )
    term_start = datetime.date(2026, 6, 1)
    term_end = datetime.date(2026, 6, 30)
    window_opened_at = factory.SelfAttribute("purchased_at")
    currency = factory.SelfAttribute("customer.currency")
    unit_cost = Decimal("10.000000")
    unit_price = Decimal("12.000000")


class ChargeEventFactory(UnscopedFactory):
    """A cycle charge of a subscription; pass kind/charge_date/amounts for other charges."""

    class Meta:
        model = "subscriptions.ChargeEvent"

    subscription = factory.SubFactory(LedgerSubscriptionFactory)
    reseller = factory.SelfAttribute("subscription.reseller")
    customer = factory.SelfAttribute("subscription.customer")
    kind = "cycle"
    key = factory.Sequence(lambda n: f"charge-{n}")
    charge_date = factory.SelfAttribute("subscription.term_start")
    cycle_start = factory.SelfAttribute("charge_date")
    cycle_end = factory.SelfAttribute("subscription.term_end")
    quantity = factory.SelfAttribute("subscription.quantity")
    billing_days = 30
    cycle_days = 30
    unit_cost = factory.SelfAttribute("subscription.unit_cost")
    unit_price = factory.SelfAttribute("subscription.unit_price")
    cost_amount = Decimal("100.00")
    price_amount = Decimal("120.00")
    currency = factory.SelfAttribute("subscription.currency")


class BillingRunFactory(UnscopedFactory):
    class Meta:
        model = "billing.BillingRun"

    reseller = factory.SubFactory(ResellerFactory)
    # a different (past) calendar month for each run, so runs never collide
    period_start = factory.Sequence(lambda n: datetime.date(2000 + n // 12, n % 12 + 1, 1))
    period_end = factory.LazyAttribute(
        lambda o: (
            (o.period_start + datetime.timedelta(days=32)).replace(day=1)
            - datetime.timedelta(days=1)
        )
    )


class InvoiceFactory(UnscopedFactory):
    """A draft invoice (finalize through billing.services to number it)."""

    class Meta:
        model = "billing.Invoice"

    run = factory.SubFactory(BillingRunFactory)
    reseller = factory.SelfAttribute("run.reseller")
    period_start = factory.SelfAttribute("run.period_start")
    period_end = factory.SelfAttribute("run.period_end")
    currency = "USD"
    subtotal = Decimal("100.00")
    total = Decimal("100.00")


class CreditNoteFactory(UnscopedFactory):
    class Meta:
        model = "billing.CreditNote"

    invoice = factory.SubFactory(InvoiceFactory)
    reseller = factory.SelfAttribute("invoice.reseller")
    period_start = factory.SelfAttribute("invoice.period_start")
    period_end = factory.SelfAttribute("invoice.period_end")
    currency = factory.SelfAttribute("invoice.currency")
    reason = "Correction"


def api_key(*, member, role=None, name="PSA sync"):
    """(ApiKey, key) of `member`'s reseller, written directly (no audit event)."""
    from api.models import ApiKey, key_digest

    key = f"rp_test-{uuid.uuid4().hex}"
    with scopes_disabled():
        row = ApiKey.objects.create(
            reseller=member.reseller,
            user=member.user,
            name=name,
            role=role or member.role,
            prefix=key[:10],
            key_hash=key_digest(key),
        )
    return row, key


class StatementFactory(UnscopedFactory):
    class Meta:
        model = "billing.Statement"

    run = factory.SubFactory(BillingRunFactory)
    reseller = factory.SelfAttribute("run.reseller")
    customer = factory.SubFactory(CustomerFactory, reseller=factory.SelfAttribute("..reseller"))
    period_start = factory.SelfAttribute("run.period_start")
    period_end = factory.SelfAttribute("run.period_end")


class UsageSummaryFactory(UnscopedFactory):
    class Meta:
        model = "billing.UsageSummary"

    subscription = factory.SubFactory(SubscriptionFactory)
    reseller = factory.SelfAttribute("subscription.reseller")
    customer = factory.SelfAttribute("subscription.customer")
    product_type = factory.SelfAttribute("subscription.offer.product_type")
    month = datetime.date(2026, 1, 1)
    meter_id = factory.Sequence(lambda n: f"meter-{n}")
    currency = factory.SelfAttribute("subscription.currency")
    quantity = Decimal("1.5")
    pre_tax_total = Decimal("12.3456789")
    lines = 3


class BudgetFactory(UnscopedFactory):
    """A customer's monthly Azure budget."""

    class Meta:
        model = "billing.Budget"

    reseller = factory.SubFactory(ResellerFactory)
    customer = factory.SubFactory(CustomerFactory, reseller=factory.SelfAttribute("..reseller"))
    amount = Decimal("500.00")
    currency = factory.SelfAttribute("customer.currency")


class AdminRelationshipFactory(UnscopedFactory):
    """A GDAP relationship asked for a customer, waiting for the customer's approval."""

    class Meta:
        model = "customers.AdminRelationship"

    reseller = factory.SubFactory(ResellerFactory)
    customer = factory.SubFactory(CustomerFactory, reseller=factory.SelfAttribute("..reseller"))
    relationship_id = factory.LazyFunction(lambda: f"{uuid.uuid4()}-{uuid.uuid4()}")
    display_name = factory.Sequence(lambda n: f"portal-gdap-{n}")
    role_ids = ["88d8e3e3-8f55-4a1e-953a-9b9898b8876b"]  # Directory Readers
    duration = "P730D"
    status = "approvalPending"


class WebhookEndpointFactory(UnscopedFactory):
    class Meta:
        model = "webhooks.WebhookEndpoint"

    reseller = factory.SubFactory(ResellerFactory)
    url = factory.Sequence(lambda n: f"https://psa.example.test/hooks/{n}")
    events = factory.LazyFunction(lambda: ["customer.created"])
    secret = factory.LazyFunction(lambda: _webhook_secret())


def _webhook_secret():
    from webhooks import signing

    return signing.encrypt(signing.new_secret())


class WebhookEventFactory(UnscopedFactory):
    class Meta:
        model = "webhooks.WebhookEvent"

    reseller = factory.SubFactory(ResellerFactory)
    event_id = factory.Sequence(lambda n: f"evt_{n:032x}")
    type = "customer.created"
    body = factory.LazyAttribute(
        lambda e: (
            f'{{"id":"{e.event_id}","type":"{e.type}","reseller_id":{e.reseller.pk},"data":{{}}}}'
        )
    )


class WebhookDeliveryFactory(UnscopedFactory):
    class Meta:
        model = "webhooks.WebhookDelivery"

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    reseller = factory.SelfAttribute("endpoint.reseller")
    event = factory.SubFactory(WebhookEventFactory, reseller=factory.SelfAttribute("..reseller"))
    status = "failed"
