"""The portal's order task on a Partner Center whose orders stay "pending" for a while (the
sandbox set as Partner Center behaves): the order waits, then completes, exactly once."""

import pytest

from partner_center.models import SandboxSubscription
from subscriptions import services
from subscriptions.models import ChargeEvent
from tests.subscriptions.conftest import PREMIUM


@pytest.mark.django_db
def test_a_pending_order_is_checked_again_and_provisioned_once(
    owner_a, onboard, catalog, unscoped, settings
):
    settings.PARTNER_CENTER_SANDBOX_ORDER_CHECKS = 2
    customer = onboard(owner_a)
    sub = services.subscription_purchase(
        member=owner_a,
        customer=customer,
        offer=catalog[PREMIUM],
        term="P1M",
        billing_frequency="monthly",
        quantity=5,
        idempotency_key="k",
    )
    for _ in range(2):  # the task's retries while Partner Center provisions
        with pytest.raises(services.ProvisioningDelayed, match="still provisioning"):
            services.subscription_provision(subscription_id=sub.pk, final_attempt=False)
    provisioned = services.subscription_provision(subscription_id=sub.pk, final_attempt=False)
    with unscoped():
        assert provisioned.provisioning == "provisioned"
        assert provisioned.partner_center_id == SandboxSubscription.objects.get().subscription_id
        assert ChargeEvent.objects.count() == 1
