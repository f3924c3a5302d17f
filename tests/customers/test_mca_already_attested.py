"""Attesting an MCA that Partner Center already has (error 600061) means "already accepted":
the acceptance is logged, not failed (issue 20, item 17; DESIGN "MCA")."""

import datetime as dt

import pytest
from django.urls import reverse

from customers import links, services
from customers.models import McaAcceptance
from partner_center.models import SandboxAttestation, SandboxCustomer
from portal.models import AuditEvent


@pytest.mark.django_db
def test_an_acceptance_partner_center_already_has_is_logged(
    owner_a, reseller_a, catalog, client_for, unscoped, settings, django_capture_on_commit_callbacks
):
    from tests.factories import CustomerFactory

    settings.MCA_ATTEST_VIA_GATEWAY = True
    customer = services.customer_create_in_partner_center(
        member=owner_a, customer=CustomerFactory(reseller=reseller_a)
    )
    # the same contact's acceptance attested in Partner Center before (e.g. by operations
    # directly in Partner Center)
    SandboxAttestation.objects.create(
        customer=SandboxCustomer.objects.get(tenant_id=str(customer.tenant_id)),
        first_name="Avery",
        last_name="Hill",
        email="avery@customer.test",
        date_agreed=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
        template_id="mca-2024-04",
    )
    invitation = services.mca_send(member=owner_a, customer=customer)

    with django_capture_on_commit_callbacks(execute=True):  # the Celery task attests
        services.mca_accept(
            token=links.mca_token(invitation),
            first_name="Avery",
            last_name="Hill",
            email="avery@customer.test",
            accepted=True,
        )

    with unscoped():
        customer.refresh_from_db()
        acceptance = McaAcceptance.objects.get(customer=customer)
        event = AuditEvent.objects.get(action="customers.mca.logged")
    assert customer.mca_status == "logged"
    assert (acceptance.logged_via, acceptance.partner_center_reference, acceptance.log_error) == (
        "gateway",
        "already attested (600061)",
        "",
    )
    assert event.data == {
        "via": "gateway",
        "reference": "already attested (600061)",
        "duplicate": True,
    }
    page = client_for(owner_a).get(reverse("customers:detail", kwargs={"customer_id": customer.pk}))
    assert "Logged in Partner Center" in page.content.decode()
