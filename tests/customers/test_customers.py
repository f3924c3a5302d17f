import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from customers import services
from customers.models import Customer
from portal.models import AuditEvent
from portal.roles import Role
from tests.factories import CustomerFactory

VALID = {
    "company_name": "Northwind Traders",
    "country": "US",
    "currency": "USD",
    "address_line1": "1 Pike Street",
    "city": "Seattle",
    "region": "WA",
    "postal_code": "98101",
    "contact_first_name": "Ana",
    "contact_last_name": "Trujillo",
    "contact_email": "ana@northwindtraders.test",
    "primary_domain": "NorthwindTraders.onmicrosoft.com",
}


@pytest.mark.django_db
def test_create_customer_normalises_domain_and_audits(owner_a, reseller_a, unscoped):
    customer = services.customer_create(member=owner_a, **VALID)
    assert customer.reseller == reseller_a
    assert customer.primary_domain == "northwindtraders.onmicrosoft.com"
    assert customer.mca_status == "not_sent"
    with unscoped():
        assert AuditEvent.objects.filter(action="customers.customer.created").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("primary_domain", "not a domain", "contoso.onmicrosoft.com"),
        ("contact_email", "nobody", "valid email"),
        ("tenant_id", "3b1f6a2e-8c4d-4e5f-9a0b-1c2d3e4f5a6b", "tenant_id is not a field"),
        ("company_name", "", "cannot be blank"),
    ],
)
def test_bad_customer_input_is_refused_and_nothing_written(
    owner_a, field, value, message, unscoped
):
    with pytest.raises(ValidationError, match=message):
        services.customer_create(member=owner_a, **{**VALID, field: value})
    with unscoped():
        assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_domain_unique_per_reseller_only(owner_a, owner_b):
    services.customer_create(member=owner_a, **VALID)
    with pytest.raises(ValidationError, match="already exists"):
        services.customer_create(member=owner_a, **{**VALID, "company_name": "Copy"})
    services.customer_create(member=owner_b, **VALID)  # another reseller's customer may share it


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VIEWER, Role.BILLING])
def test_viewer_and_billing_cannot_create_or_edit(reseller_a, member_of, role, unscoped):
    member = member_of(reseller_a, role)
    customer = CustomerFactory(reseller=reseller_a, company_name="Before")
    with pytest.raises(PermissionDenied):
        services.customer_create(member=member, **VALID)
    with pytest.raises(PermissionDenied):
        services.customer_update(member=member, customer=customer, company_name="After")
    with unscoped():
        assert list(Customer.objects.values_list("company_name", flat=True)) == ["Before"]


@pytest.mark.django_db
def test_sales_creates_and_edits_in_the_browser(reseller_a, member_of, client_for, unscoped):
    client = client_for(member_of(reseller_a, Role.SALES))
    response = client.post(reverse("customers:create"), VALID)
    with unscoped():
        customer = Customer.objects.get()
    assert response.url == reverse("customers:detail", kwargs={"customer_id": customer.pk})
    response = client.post(
        reverse("customers:edit", kwargs={"customer_id": customer.pk}), {**VALID, "city": "Redmond"}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Redmond" in page
    assert "Send MCA click-through" in page


@pytest.mark.django_db
def test_form_shows_what_is_wrong(owner_a, client_for):
    response = client_for(owner_a).post(
        reverse("customers:create"), {**VALID, "primary_domain": "bad domain"}
    )
    assert response.status_code == 200
    assert "Enter a domain such as contoso.onmicrosoft.com" in response.content.decode()


@pytest.mark.django_db
def test_list_search_filters_and_constant_queries(
    owner_a, reseller_a, reseller_b, client_for, django_assert_num_queries
):
    for n in range(30):
        CustomerFactory(
            reseller=reseller_a,
            company_name=f"Acme {n:02d}",
            country="CA" if n % 3 == 0 else "US",
            mca_status="accepted" if n % 2 == 0 else "not_sent",
        )
    CustomerFactory(
        reseller=reseller_a, company_name="Zeta Widgets", primary_domain="zeta.onmicrosoft.com"
    )
    CustomerFactory(reseller=reseller_b, company_name="Acme Beta Secret")
    client = client_for(owner_a)
    url = reverse("customers:list")
    # the session, user and membership, one count (the total is the pages' count), the unread
    # notifications and the page's rows: one query per kind, not per row
    with django_assert_num_queries(6):
        page = client.get(url).content.decode()
    assert "31 end customers" in page and "Acme Beta Secret" not in page
    assert "Acme 00" in page and "Acme 29" not in page  # 25 per page
    with django_assert_num_queries(6):
        client.get(url, {"page": 2})
    with django_assert_num_queries(7):  # filtered: the total counted apart
        page = client.get(url, {"q": "zeta.onmicrosoft"}).content.decode()
    assert "31 end customers" in page
    assert "Zeta Widgets" in page and "Acme 01" not in page
    page = client.get(url, {"mca_status": "accepted", "country": "CA"}).content.decode()
    assert "Acme 00" in page and "Acme 06" in page
    assert "Acme 03" not in page and "Acme 02" not in page


@pytest.mark.django_db
def test_list_rows_show_each_column_with_a_link(owner_a, reseller_a, client_for):
    customer = CustomerFactory(
        reseller=reseller_a,
        company_name="Contoso <Labs>",
        primary_domain="contoso.onmicrosoft.com",
        country="CA",
        currency="CAD",
        contact_first_name="Ana",
        contact_last_name="Lee",
        contact_email="ana@contoso.test",
        mca_status="accepted",
    )
    page = client_for(owner_a).get(reverse("customers:list"), {"sort": "-contact"})
    shown = page.content.decode()
    row = re.search(r"<tbody[^>]*>\s*<tr[^>]*>(.*?)</tr>", shown, re.S).group(1)
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    href = reverse("customers:detail", kwargs={"customer_id": customer.pk})
    assert cells == [
        f'<a href="{href}">Contoso &lt;Labs&gt;</a>',
        "contoso.onmicrosoft.com",
        "Canada",
        "Canadian dollar",
        "Ana Lee<br><small>ana@contoso.test</small>",
        '<span class="state state-accepted">Accepted</span>',
        customer.created_at.strftime("%Y-%m-%d"),
    ]
    assert '<th class="desc orderable"><a href="?sort=contact">Contact</a></th>' in shown


@pytest.mark.django_db
def test_customer_page_shows_relationship_link_and_support(
    owner_a, reseller_a, client_for, settings
):
    reseller_a.partner_id = "1234567"
    reseller_a.tenant_id = "6f1d2c3b-0a4e-4c8f-9b7a-1e2d3c4b5a60"
    reseller_a.support_email = "help@alpha.test"
    reseller_a.save()
    settings.PARTNER_CENTER_PROVIDER_TENANT_ID = "11111111-2222-3333-4444-555555555555"
    customer = CustomerFactory(reseller=reseller_a)
    page = (
        client_for(owner_a)
        .get(reverse("customers:detail", kwargs={"customer_id": customer.pk}))
        .content.decode()
    )
    assert (
        "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship"
        "&amp;partnerId=11111111-2222-3333-4444-555555555555&amp;msppId=1234567"
        "&amp;indirectCSPId=6f1d2c3b-0a4e-4c8f-9b7a-1e2d3c4b5a60&amp;DAP=false"
        "#/BillingAccounts/partner-invitation"
    ) in page
    assert "Contact your reseller, Alpha Cloud" in page and "help@alpha.test" in page
