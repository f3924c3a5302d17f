import uuid

import pytest

from portal.roles import Role
from programs import services
from programs.models import CountryProgramLink
from tests.factories import ProgramRequestFactory, ResellerFactory, UserFactory


def html(response):
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_owner_sees_states_buttons_and_reasons(owner_a, programs, client_for):
    page = html(client_for(owner_a).get("/partner/programs/"))
    assert 'aria-label="Request access to Microsoft Azure Reseller Program"' in page
    # Azure Plan: button disabled with the reason
    assert (
        "Microsoft Azure Reseller Program must be approved before you can request "
        "Microsoft Azure Plan." in page
    )
    assert page.count("disabled aria-describedby") == 2
    assert "Sunset programs" in page and "Microsoft Azure (Legacy)" in page
    assert "Not supported" in page and "Direct EA" in page and "PayGo Azure" in page
    assert "is not resold through CSP" in page
    assert f'name="program" value="{programs["azure-legacy"].pk}"' not in page
    assert "Complete your partner profile" not in page


@pytest.mark.django_db
def test_viewer_sees_states_but_no_button(reseller_a, member_of, owner_a, programs, client_for):
    services.program_request_create(
        member=owner_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )
    viewer = member_of(reseller_a, Role.VIEWER)
    client = client_for(viewer)
    page = html(client.get("/partner/programs/"))
    assert "Pending" in page
    assert "Request access" not in page
    assert "Only owners and admins can request programs" in page
    assert (
        client.post(
            "/partner/programs/request/", {"program": programs["modern-workplace"].pk}
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_request_then_second_click_says_already_pending(owner_a, programs, client_for):
    client = client_for(owner_a)
    data = {
        "program": programs["azure-reseller"].pk,
        "accept_terms": "on",
        "terms_version": programs["azure-reseller"].terms_version,
    }
    page = html(client.post("/partner/programs/request/", data, follow=True))
    assert "Access to Microsoft Azure Reseller Program requested." in page
    assert '<span class="state state-pending" data-testid="state-azure-reseller">Pending' in page
    page = html(client.post("/partner/programs/request/", data, follow=True))
    assert "Your request for Microsoft Azure Reseller Program is already pending" in page
    assert client.post("/partner/programs/request/", {"program": "x"}).status_code == 404
    assert client.post("/partner/programs/request/", {"program": 999999}).status_code == 404


@pytest.mark.django_db
def test_missing_profile_is_explained_with_a_link(member_of, programs, client_for):
    reseller = ResellerFactory(partner_id=None, programs=())
    client = client_for(member_of(reseller, Role.OWNER))
    page = html(client.get("/partner/programs/"))
    assert "Missing: MPN/Partner ID, the date you accepted the Microsoft Partner Agreement." in page
    assert '<a href="/partner/profile/">Complete the partner profile</a>' in page
    page = html(
        client.post(
            "/partner/programs/request/", {"program": programs["azure-reseller"].pk}, follow=True
        )
    )
    assert "Complete your partner profile before requesting programs: MPN/Partner ID" in page


@pytest.mark.django_db
def test_rejected_request_shows_the_reason(owner_a, programs, ops, client_for):
    request = services.program_request_create(
        member=owner_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )
    services.program_request_reject(
        user=ops,
        program_request=request,
        reason="Your MPN ID is not registered as indirect reseller",
    )
    page = html(client_for(owner_a).get("/partner/programs/"))
    assert "Rejected" in page
    assert "Your MPN ID is not registered as indirect reseller" in page
    assert 'aria-label="Request access to Microsoft Azure Reseller Program"' in page


@pytest.mark.django_db
def test_list_page_query_count_is_bounded(
    owner_a, reseller_a, programs, approved, django_assert_max_num_queries, client_for
):
    client = client_for(owner_a)
    approved(reseller_a, programs["azure-reseller"])
    for _ in range(10):  # each by another person: names must not cost a query each
        ProgramRequestFactory(
            reseller=reseller_a,
            program=programs["azure-plan"],
            state="rejected",
            reason="no",
            requested_by=UserFactory(),
        )
    client.get("/partner/programs/")  # warm the session / membership caches
    with django_assert_max_num_queries(9):
        page = html(client.get("/partner/programs/"))
    assert page.count("state-rejected") >= 10


@pytest.mark.django_db
def test_country_links_are_filled_with_the_resellers_ids(owner_a, reseller_a, client_for, settings):
    settings.PARTNER_CENTER_PROVIDER_TENANT_ID = "aaaaaaaa-1111-4222-8333-bbbbbbbbbbbb"
    reseller_a.partner_id = "4567890"
    reseller_a.tenant_id = uuid.UUID("6f1d2c3b-0a4e-4c8f-9b7a-1e2d3c4b5a60")
    reseller_a.save()
    client = client_for(owner_a)
    page = html(client.get("/partner/programs/links/"))
    assert "Program links: United States" in page
    expected = (
        "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship"
        "&amp;partnerId=aaaaaaaa-1111-4222-8333-bbbbbbbbbbbb&amp;msppId=4567890"
        "&amp;indirectCSPId=6f1d2c3b-0a4e-4c8f-9b7a-1e2d3c4b5a60&amp;DAP=false"
        "#/BillingAccounts/partner-invitation"
    )
    assert expected in page
    # Microsoft retired DAP: no link asks for it (admin access is a GDAP relationship)
    assert "DAP=true" not in page and "Admin access through GDAP, not DAP" in page
    assert "https://partner.microsoft.com/en-us/" in page
    assert "Indirect reseller relationship request" in page
    page = html(client.get("/partner/programs/links/?country=CA"))
    assert "Program links: Canada" in page and "https://partner.microsoft.com/en-ca/" in page


@pytest.mark.django_db
def test_country_links_are_data_driven_and_say_what_is_missing(
    owner_a, reseller_a, client_for, unscoped
):
    CountryProgramLink.objects.create(
        country="GB",
        kind="partner_network",
        label="MPN UK",
        url_template="https://partner.microsoft.com/en-gb/",
    )
    client = client_for(owner_a)
    page = html(client.get("/partner/programs/links/?country=GB"))
    assert (
        "Program links: United Kingdom" in page and "https://partner.microsoft.com/en-gb/" in page
    )
    assert reseller_a.tenant_id is None
    page = html(client.get("/partner/programs/links/"))
    assert "This link needs your Microsoft tenant ID" in page
    assert "IndirectResellerRelationship&amp;" not in page


@pytest.mark.django_db
def test_link_template_with_unknown_placeholder_is_refused():
    from django.core.exceptions import ValidationError

    link = CountryProgramLink(
        country="DE", kind="end_customer", label="x", url_template="https://x.test/?t={tenant}"
    )
    with pytest.raises(ValidationError, match="Unknown placeholder"):
        link.full_clean()
