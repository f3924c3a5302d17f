import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer

from partner_center.http import HttpGateway
from partner_center.sandbox import SandboxGateway
from partner_center.types import CustomerRequest, McaAcceptance, OrderRequest
from subscriptions.catalog.models import ProductType, SeatCapGroup
from tests.factories import OfferFactory
from tests.partner_center.microsoft.server import MicrosoftPartnerCenter

BASIC = "CFQ7TTC0LH18:0001"
STANDARD = "CFQ7TTC0LDPB:0001"
E3 = "CFQ7TTC0LFLX:0001"
AZURE_PLAN = "DZH318Z0BPS6:0001"
PERPETUAL = "DG7GMGF0PWBF:0002"
LEGACY = "LEGACY-MW:0001"

_domains = itertools.count(1)


@pytest.fixture
def offers(db):
    business = SeatCapGroup.objects.get(code="m365-business")
    nce = ProductType.objects.get(code="nce")
    OfferFactory(
        sku=BASIC,
        name="Microsoft 365 Business Basic",
        product_type=nce,
        max_quantity=300,
        cap_group=business,
    )
    OfferFactory(
        sku=STANDARD,
        name="Microsoft 365 Business Standard",
        product_type=nce,
        max_quantity=300,
        cap_group=business,
    )
    OfferFactory(
        sku=E3,
        name="Microsoft 365 E3",
        product_type=nce,
        min_quantity=1,
        max_quantity=10000,
        terms="P1M,P1Y,P3Y",
        billing_frequencies="monthly,annual,triennial",
    )
    OfferFactory(
        sku=AZURE_PLAN,
        name="Microsoft Azure plan",
        terms="P1M",
        billing_frequencies="monthly",
        max_quantity=1,
        product_type=ProductType.objects.get(code="azure-plan"),
    )
    OfferFactory(
        sku=PERPETUAL,
        name="Office LTSC Professional Plus 2024",
        terms="P1Y",
        billing_frequencies="annual",
        product_type=ProductType.objects.get(code="perpetual-software"),
    )
    OfferFactory(
        sku=LEGACY,
        name="Office 365 E3 (legacy)",
        product_type=ProductType.objects.get(code="modern-workplace-legacy"),
    )


@pytest.fixture(scope="session")
def pc_server():
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def ms(pc_server):
    """The fake Microsoft Partner Center (tests/partner_center/microsoft/server.py)."""
    fake = MicrosoftPartnerCenter()
    pc_server.expect_request(re.compile(".*")).respond_with_handler(fake)
    yield fake
    pc_server.clear()


class FakeTokens:
    """A token source whose tokens the fake issued; `refresh()` asks for a new one."""

    def __init__(self, ms: MicrosoftPartnerCenter):
        self.ms = ms
        self.token = ms.issue_token()
        self.refreshes = 0

    def access_token(self) -> str:
        return self.token

    def refresh(self) -> str:
        self.refreshes += 1
        self.token = self.ms.issue_token()
        return self.token


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def tokens(ms):
    return FakeTokens(ms)


@pytest.fixture
def http_gateway(ms, pc_server, sleeps, tokens, db):
    gateway = HttpGateway(
        pc_server.url_for("/"),
        tokens,
        timeout=2.0,
        max_retries=3,
        poll_attempts=4,
        poll_interval=1.0,
        sleep=sleeps.append,
    )
    yield gateway
    gateway.close()


@pytest.fixture(params=["sandbox", "http"])
def gw(request, offers):
    """The contract tests run against both implementations."""
    if request.param == "sandbox":
        return SandboxGateway()
    return request.getfixturevalue("http_gateway")


def customer_request(**overrides) -> CustomerRequest:
    n = next(_domains)
    base = CustomerRequest(
        company_name=f"Contoso {n}",
        country="US",
        domain=f"contoso{n}.onmicrosoft.com",
        address_line1="1 Main St",
        city="Seattle",
        postal_code="98101",
        region="WA",
        contact_first_name="Ada",
        contact_last_name="Lovelace",
        contact_email="ada@contoso.example",
        contact_phone="",
        associated_partner_id="484e548c-f5f3-4528-93a9-c16c6373cb59",
    )
    return replace(base, **overrides)


def acceptance(**overrides) -> McaAcceptance:
    base = McaAcceptance(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@contoso.example",
        phone="",
        date_agreed=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        template_id="117a77b0-9360-443b-8795-c6dedc750cf9",
    )
    return replace(base, **overrides)


def order(sku=E3, quantity=5, **overrides) -> OrderRequest:
    base = OrderRequest(offer_sku=sku, term="P1Y", billing_frequency="monthly", quantity=quantity)
    return replace(base, **overrides)


@pytest.fixture
def customer(gw):
    """A customer with an attested MCA, created through the gateway under test."""
    info = gw.create_customer(customer_request(), idempotency_key=f"cust-{next(_domains)}")
    gw.attest_mca(info.tenant_id, acceptance())
    return info
