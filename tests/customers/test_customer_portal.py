import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers import links, services
from support import services as support_services
from tests.factories import CustomerFactory, McaAcceptanceFactory


def _portal_path(customer):
    return reverse("customer_portal:home", kwargs={"token": links.portal_token(customer)})


@pytest.mark.django_db
def test_customer_without_plan_is_pointed_to_the_reseller(client, reseller_a):
    reseller_a.support_email = "help@alpha.test"
    reseller_a.save()
    customer = CustomerFactory(reseller=reseller_a, company_name="Contoso Ltd")
    page = client.get(_portal_path(customer)).content.decode()
    assert "Contoso Ltd" in page and "Contact your reseller, Alpha Cloud" in page
    assert "help@alpha.test" in page and "Not accepted yet" in page


@pytest.mark.django_db
def test_customer_with_plan_sees_its_contacts_and_agreement(client, owner_a, reseller_a):
    acceptance = McaAcceptanceFactory(invitation__customer__reseller=reseller_a)
    plan = support_services.support_plan_save(
        member=owner_a,
        name="Gold",
        hours="24x7",
        chat_url="https://chat.alpha.test",
        phone="+1 555 0101",
    )
    support_services.support_plan_assign(member=owner_a, customer=acceptance.customer, plan=plan)
    page = client.get(_portal_path(acceptance.customer)).content.decode()
    assert "Gold" in page and "https://chat.alpha.test" in page and "+1 555 0101" in page
    assert "Contact your reseller" not in page
    assert "Accepted by Pat Doe" in page


@pytest.mark.django_db
def test_portal_link_emailed_rotated_and_expiring(
    client, owner_a, reseller_a, mailoutbox, settings, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(reseller=reseller_a, company_name="Contoso Ltd")
    with django_capture_on_commit_callbacks(execute=True):
        services.portal_link_send(member=owner_a, customer=customer)
    first = re.search(r"http://\S+(/c/\S+/)", mailoutbox[-1].body).group(1)
    assert client.get(first).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.portal_link_send(member=owner_a, customer=customer, rotate=True)
    second = re.search(r"http://\S+(/c/\S+/)", mailoutbox[-1].body).group(1)
    refused = client.get(first)
    assert refused.status_code == 410 and "replaced it" in refused.content.decode()
    assert client.get(second).status_code == 200
    with time_machine.travel(
        timezone.now()
        + datetime.timedelta(days=settings.CUSTOMER_PORTAL_LINK_MAX_AGE_DAYS, minutes=1)
    ):
        assert "expired" in client.get(second).content.decode()


@pytest.mark.django_db
def test_portal_link_cannot_be_reused_for_another_customer(client, reseller_a, reseller_b):
    from django.core import signing

    mine = CustomerFactory(reseller=reseller_a, company_name="Mine Co")
    theirs = CustomerFactory(reseller=reseller_b, company_name="Theirs Co")
    data = signing.loads(links.portal_token(mine), salt=links.PORTAL_SALT)
    swapped = signing.dumps({**data, "c": theirs.pk}, salt=links.PORTAL_SALT)
    response = client.get(reverse("customer_portal:home", kwargs={"token": swapped}))
    assert response.status_code == 410 and "Theirs Co" not in response.content.decode()
    # an MCA-link token is not a portal token either
    mca_like = signing.dumps(data, salt=links.MCA_SALT)
    assert (
        client.get(reverse("customer_portal:home", kwargs={"token": mca_like})).status_code == 410
    )
