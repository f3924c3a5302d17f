"""Orders reach Partner Center in a task after the portal's transaction commits; the
subscription shows where it stands, and operations retry failed orders."""

import pytest
from django.urls import reverse

from customers import services as customer_services
from partner_center.models import SandboxAttestation, SandboxCustomer, SandboxSubscription
from portal.models import Notification
from subscriptions import services
from subscriptions.models import ChargeEvent, Subscription
from tests.factories import CustomerFactory, McaAcceptanceFactory, UserFactory
from tests.subscriptions.conftest import PREMIUM, DownGateway


def order(member, customer, offer, key="k"):
    return services.subscription_purchase(
        member=member,
        customer=customer,
        offer=offer,
        term="P1M",
        billing_frequency="monthly",
        quantity=5,
        idempotency_key=key,
    )


@pytest.mark.django_db
def test_order_is_placed_after_commit_and_then_charged(
    owner_a, onboard, catalog, unscoped, django_capture_on_commit_callbacks
):
    customer = onboard(owner_a)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        sub = order(owner_a, customer, catalog[PREMIUM])
    assert sub.provisioning == "pending" and sub.partner_center_id is None
    with unscoped():
        assert not ChargeEvent.objects.exists() and not SandboxSubscription.objects.exists()
    for callback in queued:  # what happens once the transaction commits
        callback()
    with unscoped():
        sub.refresh_from_db()
        assert sub.provisioning == "provisioned"
        assert sub.partner_center_id == SandboxSubscription.objects.get().subscription_id
        assert ChargeEvent.objects.get().price_amount == 132  # 5 × 26.40


@pytest.mark.django_db
def test_refused_order_fails_with_the_reason_and_ops_retry_it(
    owner_a, reseller_a, catalog, client, settings, unscoped, django_capture_on_commit_callbacks
):
    """Operations marked the MCA as logged by hand, but Partner Center has no attestation:
    the order is refused there. Once operations attest it in Partner Center and retry, the
    reseller hears that the subscription is provisioned."""
    settings.STAFF_MFA_REQUIRED = False
    settings.MCA_ATTEST_VIA_GATEWAY = False
    customer = customer_services.customer_create_in_partner_center(
        member=owner_a, customer=CustomerFactory(reseller=reseller_a)
    )
    acceptance = McaAcceptanceFactory(invitation__customer=customer)
    ops = UserFactory(is_staff=True)
    customer_services.mca_mark_logged(user=ops, acceptance_id=acceptance.pk, reference="PC-1")
    customer.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        sub = order(owner_a, customer, catalog[PREMIUM])
    with unscoped():
        sub.refresh_from_db()
        assert Notification.objects.filter(user=owner_a.user, title__contains="failed").exists()
    assert (sub.provisioning, sub.status) == ("failed", "cancelled")
    assert "no attested Microsoft Customer Agreement" in sub.provisioning_error

    client.force_login(ops)
    page = client.get(reverse("provisioning_ops:list")).content.decode()
    assert "no attested Microsoft Customer Agreement" in page and "Retry" in page
    with unscoped():  # operations attest it in Partner Center itself
        SandboxAttestation.objects.create(
            customer=SandboxCustomer.objects.get(tenant_id=str(customer.tenant_id)),
            first_name="Pat",
            last_name="Doe",
            email=customer.contact_email,
            date_agreed=acceptance.date_agreed,
            template_id=acceptance.template_id,
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("provisioning_ops:retry", kwargs={"subscription_id": sub.pk}))
    with unscoped():
        sub.refresh_from_db()
        assert (sub.provisioning, sub.status) == ("provisioned", "active")
        assert SandboxSubscription.objects.count() == 1
        told = Notification.objects.get(user=owner_a.user, title__contains="is provisioned")
        assert told.title == f"{sub.offer.name} for {customer} is provisioned"
        assert told.url == reverse("subscriptions:detail", kwargs={"subscription_id": sub.pk})


@pytest.mark.django_db
def test_first_time_success_sends_no_provisioned_notification(
    owner_a, onboard, catalog, unscoped, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order(owner_a, onboard(owner_a), catalog[PREMIUM])
    with unscoped():
        assert not Notification.objects.filter(title__contains="provisioned").exists()


@pytest.mark.django_db
def test_unavailable_partner_center_is_retried_then_fails(
    owner_a, onboard, catalog, monkeypatch, unscoped
):
    customer = onboard(owner_a)
    sub = order(owner_a, customer, catalog[PREMIUM])
    monkeypatch.setattr(services, "get_gateway", DownGateway)
    with pytest.raises(services.ProvisioningDelayed):
        services.subscription_provision(subscription_id=sub.pk, final_attempt=False)
    with unscoped():
        sub.refresh_from_db()
    assert sub.provisioning == "retrying" and "did not answer" in sub.provisioning_error
    services.subscription_provision(subscription_id=sub.pk, final_attempt=True)
    with unscoped():
        sub.refresh_from_db()
        assert sub.provisioning == "failed" and not ChargeEvent.objects.exists()


@pytest.mark.django_db
def test_pending_order_cannot_be_changed(owner_a, onboard, catalog):
    from django.core.exceptions import ValidationError

    sub = order(owner_a, onboard(owner_a), catalog[PREMIUM])
    with pytest.raises(ValidationError, match="still being ordered"):
        services.subscription_change_seats(
            member=owner_a, subscription=sub, quantity=6, idempotency_key="x"
        )
    assert sub.provisioning == Subscription.Provisioning.PENDING
