"""The one-time admin account Partner Center answers when it creates a customer's tenant
(userCredentials, create-a-customer): shown to the reseller once on the customer page, then
gone; never to a role that cannot edit customers."""

import pytest
from django.urls import reverse

from partner_center.models import AdminCredential
from portal.models import AuditEvent
from portal.roles import Role


@pytest.mark.django_db
def test_the_admin_account_is_shown_once_then_gone(owner_a, onboard, client_for, unscoped):
    customer = onboard(owner_a, company_name="Wingtip Toys")
    client = client_for(owner_a)
    page = client.get(reverse("customers:detail", kwargs={"customer_id": customer.pk}))
    assert 'data-testid="admin-account-waiting"' in page.content.decode()
    with unscoped():
        stored = AdminCredential.objects.get(tenant_id=str(customer.tenant_id))
    assert stored.password and "admin@" not in stored.password  # kept encrypted

    url = reverse("customers:admin_account", kwargs={"customer_id": customer.pk})
    shown = client.post(url)
    text = shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert f'data-testid="admin-user">admin@{customer.primary_domain}<' in text
    assert 'data-testid="admin-password">' in text
    with unscoped():
        assert not AdminCredential.objects.exists()
        assert (
            AuditEvent.objects.filter(action="customers.customer.admin_account_shown").count() == 1
        )

    again = client.post(url, follow=True)
    assert "already shown once" in again.content.decode()
    assert 'data-testid="admin-account-waiting"' not in again.content.decode()


@pytest.mark.django_db
def test_a_viewer_neither_sees_nor_takes_the_admin_account(
    owner_a, reseller_a, member_of, onboard, client_for, unscoped
):
    customer = onboard(owner_a, company_name="Wingtip Toys")
    viewer = client_for(member_of(reseller_a, Role.VIEWER))
    page = viewer.get(reverse("customers:detail", kwargs={"customer_id": customer.pk}))
    assert 'data-testid="admin-account-waiting"' not in page.content.decode()
    refused = viewer.post(reverse("customers:admin_account", kwargs={"customer_id": customer.pk}))
    assert refused.status_code == 403
    with unscoped():
        assert AdminCredential.objects.count() == 1
