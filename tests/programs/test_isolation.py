import uuid

import pytest

from portal.roles import Role
from programs import services
from programs.models import ProgramRequest
from tests.isolation import crawl, reseller_routes


def test_program_pages_are_in_the_crawl():
    names = {r.name for r in reseller_routes()}
    assert {"programs:list", "programs:request", "programs:links"} <= names


@pytest.mark.django_db
def test_reseller_b_never_sees_reseller_as_programs(
    reseller_a, reseller_b, member_of, client_for, programs, ops, unscoped
):
    member_a = member_of(reseller_a, Role.OWNER)
    reseller_a.partner_id, reseller_a.tenant_id = "9753113", uuid.uuid4()
    reseller_a.save()
    request = services.program_request_create(
        member=member_a,
        program=programs["azure-reseller"],
        accepted_terms_version=programs["azure-reseller"].terms_version,
    )
    services.program_request_reject(
        user=ops, program_request=request, reason="Alpha secret rejection reason"
    )
    client = client_for(member_of(reseller_b, Role.OWNER))

    report = crawl(
        client_b=client,
        reseller_a=reseller_a,
        member_a=member_a,
        a_markers=[
            "Alpha Cloud",
            member_a.user.email,
            "9753113",
            str(reseller_a.tenant_id),
            "Alpha secret rejection reason",
        ],
    )
    assert report.leaks == []

    page = client.get("/partner/programs/").content.decode()
    assert "Rejected" not in page and "Not requested yet." in page
    # B's request is B's own; A's rejected one stays A's only
    client.post(
        "/partner/programs/request/",
        {
            "program": programs["azure-reseller"].pk,
            "accept_terms": "on",
            "terms_version": programs["azure-reseller"].terms_version,
        },
    )
    with unscoped():
        assert set(ProgramRequest.objects.values_list("reseller__name", "state")) == {
            ("Alpha Cloud", "rejected"),
            ("Beta Systems", "pending"),
        }
