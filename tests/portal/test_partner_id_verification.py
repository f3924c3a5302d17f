"""Partner ID squatting (issue 20, item 7): operations verify a reseller's MPN/Partner ID before
it may request transfers or programs, and only a verified ID receives and decides the transfer
requests aimed at it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from partner_center.gateway import get_gateway
from partner_center.types import OrderRequest
from portal import services
from portal.models import AuditEvent, Notification
from portal.roles import Role
from programs import services as program_services
from programs.models import Program
from subscriptions.transfers import services as transfers
from tests.factories import ResellerFactory
from tests.subscriptions.conftest import PREMIUM

CLAIMED = "4567890"


@pytest.fixture
def squatter(member_of):
    """A self-registered reseller that typed someone else's partner ID (not verified)."""
    reseller = ResellerFactory(
        name="Squatter LLC",
        partner_id=CLAIMED,
        partner_id_verified_at=None,
        mpa_accepted_on=dt.date(2024, 1, 1),
        programs=(),
    )
    return member_of(reseller, Role.OWNER)


def _external_subscription(customer):
    return get_gateway().create_order(
        str(customer.tenant_id),
        OrderRequest(
            offer_sku=PREMIUM, term="P1Y", billing_frequency="monthly", quantity=2, auto_renew=True
        ),
        idempotency_key="elsewhere",
    )


@pytest.mark.django_db
def test_an_unverified_claim_of_a_partner_id_receives_and_decides_no_transfer(
    owner_a, squatter, onboard, unscoped
):
    customer = onboard(owner_a, company_name="Fabrikam Inc")
    info = _external_subscription(customer)
    transfer = transfers.transfer_request(
        member=owner_a,
        customer=customer,
        source_partner_id=CLAIMED,
        subscription_ids=[info.subscription_id],
        idempotency_key="t-1",
        # a provider outside the portal, named as Partner Center names it (create-a-transfer)
        source_partner_tenant_id="da6c51b5-1246-4a42-b4ab-cbf38df54537",
        source_partner_name="Fabrikam Cloud",
    )
    assert transfer.source_reseller is None  # operations decide it, not the squatter
    with unscoped():
        assert not Notification.objects.filter(reseller=squatter.reseller).exists()
    with pytest.raises(Http404):
        transfers.transfer_decide(actor=squatter, transfer=transfer, approve=True)


@pytest.mark.django_db
def test_an_unverified_reseller_may_not_request_programs_or_transfers(squatter, member_of, onboard):
    with pytest.raises(
        ValidationError, match="the verification of your MPN/Partner ID by operations"
    ):
        program_services.program_request_create(
            member=squatter,
            program=Program.objects.get(code="azure-reseller"),
            accepted_terms_version="2026-01",
        )

    owner = member_of(ResellerFactory(partner_id_verified_at=None), Role.OWNER)  # programs ok
    customer = onboard(owner, company_name="Lamna")
    info = _external_subscription(customer)
    with pytest.raises(
        PermissionDenied, match="Operations have not verified your MPN/Partner ID yet"
    ):
        transfers.transfer_request(
            member=owner,
            customer=customer,
            source_partner_id="1111111",
            subscription_ids=[info.subscription_id],
            idempotency_key="t-1",
        )


@pytest.mark.django_db
def test_operations_verify_and_a_changed_id_must_be_verified_again(
    squatter, ops, client, settings, unscoped
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(ops)
    assert "Verify MPN/Partner ID of Squatter LLC" in client.get("/ops/").content.decode()
    page = client.post(
        f"/ops/resellers/{squatter.reseller_id}/verify-partner-id/", follow=True
    ).content.decode()
    assert f"MPN/Partner ID {CLAIMED} of Squatter LLC verified." in page
    reseller = squatter.reseller
    reseller.refresh_from_db()
    assert reseller.partner_id_verified and reseller.partner_id_verified_by == ops
    with unscoped():
        assert AuditEvent.objects.filter(
            action="portal.reseller.partner_id_verified", reseller=reseller
        ).exists()

    services.reseller_update_profile(member=squatter, partner_id="7777777")
    reseller.refresh_from_db()
    assert not reseller.partner_id_verified


@pytest.mark.django_db
def test_a_partner_id_changed_in_the_admin_must_be_verified_again(
    squatter, ops, client, settings, unscoped
):
    settings.STAFF_MFA_REQUIRED = False
    ops.is_superuser = True
    ops.save()
    client.force_login(ops)
    client.post(f"/ops/resellers/{squatter.reseller_id}/verify-partner-id/")
    reseller = squatter.reseller
    url = reverse("admin:portal_reseller_change", args=[reseller.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
    data.update(
        {
            "partner_id": "7777777",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    reseller.refresh_from_db()
    assert reseller.partner_id == "7777777"
    assert not reseller.partner_id_verified
    assert "Verify MPN/Partner ID of Squatter LLC" in client.get("/ops/").content.decode()
