import pytest

from portal.roles import Role
from tests import factories
from tests.isolation import crawl, crawl_outsider, ops_routes, reseller_routes


@pytest.mark.django_db
def test_reseller_b_gets_404_for_every_object_of_reseller_a(
    reseller_a, reseller_b, member_of, client_for
):
    member_a = member_of(reseller_a, Role.OWNER)
    factories.CustomerFactory(reseller=reseller_a, company_name="Alpha Secret Customer")
    factories.InvitationFactory(reseller=reseller_a, email="alpha-invitee@example.test")
    factories.NotificationFactory(
        reseller=reseller_a, user=member_a.user, title="Alpha private notice"
    )
    factories.TicketFactory(reseller=reseller_a, subject="Alpha private ticket")
    factories.SupportPlanFactory(reseller=reseller_a, name="Alpha Gold Plan")
    factories.PriceBookFactory(reseller=reseller_a, name="Alpha Secret Prices")
    factories.UsageImportFactory(reseller=reseller_a, file_name="alpha-secret-usage.csv")
    client = client_for(member_of(reseller_b, Role.OWNER))

    report = crawl(
        client_b=client,
        reseller_a=reseller_a,
        member_a=member_a,
        a_markers=[
            "Alpha Cloud",
            "Alpha Secret Customer",
            member_a.user.email,
            "alpha-invitee@example.test",
            "Alpha private notice",
            "Alpha private ticket",
            "Alpha Gold Plan",
            "Alpha Secret Prices",
            "alpha-secret-usage.csv",
        ],
    )

    assert report.leaks == []
    assert report.requests > 20
    print(
        f"\nisolation crawl as reseller B: {len(report.routes)} URLs, {report.requests} "
        f"requests, {len(report.leaks)} leaks"
    )


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_for_every_reseller_page(
    reseller_a, member_of, client
):
    member_a = member_of(reseller_a, Role.OWNER)
    public = ("home", "reseller_register", "help")  # landing, sign-up and help are public
    routes = [r for r in reseller_routes() if r.name not in public]
    report = crawl_outsider(
        client=client,
        reseller_a=reseller_a,
        member_a=member_a,
        routes=routes,
        allowed=(302, 404, 405),
    )
    assert report.leaks == []
    print(
        f"\nisolation crawl as anonymous: {len(report.routes)} URLs, {report.requests} "
        "requests, 0 leaks"
    )


@pytest.mark.django_db
def test_operations_pages_refuse_reseller_members(reseller_a, reseller_b, member_of, client_for):
    member_a = member_of(reseller_a, Role.OWNER)
    client = client_for(member_of(reseller_b, Role.OWNER))
    report = crawl_outsider(
        client=client,
        reseller_a=reseller_a,
        member_a=member_a,
        routes=ops_routes(),
        allowed=(403, 404, 405),
    )
    assert report.leaks == []
    assert len(report.routes) >= 8
    print(
        f"\nops crawl as a reseller member: {len(report.routes)} URLs, {report.requests} "
        "requests, 0 leaks"
    )


def test_harness_discovers_patterns_itself():
    names = {r.name for r in reseller_routes()}
    assert {"dashboard", "members", "member_remove", "notification_open"} <= names
    assert not any(r.route.startswith(("admin/", "accounts/")) for r in reseller_routes())
    assert "invitation" not in names  # secret-link page, tested on its own


@pytest.mark.django_db
def test_harness_catches_a_leaking_view(settings, reseller_a, reseller_b, member_of, client_for):
    """The harness must fail when a view forgets tenant scoping."""
    settings.ROOT_URLCONF = "tests.portal.leaky_urls"
    member_a = member_of(reseller_a)
    client = client_for(member_of(reseller_b))
    report = crawl(client_b=client, reseller_a=reseller_a, member_a=member_a, a_markers=[])
    assert any("answered 200" in leak for leak in report.leaks)
