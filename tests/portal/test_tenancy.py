import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django_scopes.exceptions import ScopeError

from customers.models import Customer
from portal.middleware import SESSION_RESELLER_KEY, TenantScopeMiddleware
from portal.roles import Role
from portal.tenancy import in_reseller_scope, reseller_scope
from tests.factories import CustomerFactory, MembershipFactory, ResellerFactory, UserFactory


def _names_seen(request):
    return TenantScopeMiddleware(
        lambda req: HttpResponse(",".join(sorted(c.company_name for c in Customer.objects.all())))
    )(request).content.decode()


@pytest.fixture
def two_tenants(reseller_a, reseller_b):
    CustomerFactory(reseller=reseller_a, company_name="A-cust")
    CustomerFactory(reseller=reseller_b, company_name="B-cust")


def _request(user, path="/dashboard/", session=None):
    request = RequestFactory().get(path)
    request.user = user
    request.session = session if session is not None else {}
    return request


@pytest.mark.django_db
def test_member_sees_only_own_reseller(two_tenants, reseller_a, member_of):
    member = member_of(reseller_a, Role.VIEWER)
    assert _names_seen(_request(member.user)) == "A-cust"


@pytest.mark.django_db
def test_anonymous_and_memberless_users_see_nothing(two_tenants):
    from django.contrib.auth.models import AnonymousUser

    assert _names_seen(_request(AnonymousUser())) == ""
    assert _names_seen(_request(UserFactory())) == ""


@pytest.mark.django_db
def test_staff_is_unscoped_only_on_admin_and_ops(two_tenants):
    staff = UserFactory(is_staff=True)
    assert _names_seen(_request(staff, "/admin/customers/customer/")) == "A-cust,B-cust"
    assert _names_seen(_request(staff, "/ops/")) == "A-cust,B-cust"
    assert _names_seen(_request(staff, "/dashboard/")) == ""


@pytest.mark.django_db
def test_non_staff_on_admin_path_stays_scoped(two_tenants, reseller_a, member_of):
    member = member_of(reseller_a)
    assert _names_seen(_request(member.user, "/admin/customers/customer/")) == "A-cust"


@pytest.mark.django_db
def test_user_in_two_resellers_works_in_the_chosen_one(
    two_tenants, reseller_a, reseller_b, member_of
):
    member = member_of(reseller_a)
    MembershipFactory(user=member.user, reseller=reseller_b, role=Role.VIEWER)
    seen_in = {
        r.pk: _names_seen(_request(member.user, session={SESSION_RESELLER_KEY: r.pk}))
        for r in (reseller_a, reseller_b)
    }
    assert seen_in == {reseller_a.pk: "A-cust", reseller_b.pk: "B-cust"}


@pytest.mark.django_db
def test_switching_reseller_in_the_browser(client_for, reseller_a, reseller_b, member_of):
    member = member_of(reseller_a)
    MembershipFactory(user=member.user, reseller=reseller_b, role=Role.SALES)
    outsider = ResellerFactory(name="Gamma")
    client = client_for(member)
    page = client.get("/dashboard/").content.decode()
    assert "Working for" in page and "Beta Systems (Sales)" in page

    response = client.post("/switch/", {"reseller": reseller_b.pk}, follow=True)

    assert "You are now working for Beta Systems" in response.content.decode()
    assert response.context["current_reseller"] == reseller_b
    assert client.post("/switch/", {"reseller": outsider.pk}).status_code == 404
    assert client.get("/dashboard/").context["current_reseller"] == reseller_b


@pytest.mark.django_db
def test_queries_outside_any_scope_are_refused():
    with pytest.raises(ScopeError):
        list(Customer.objects.all())


@pytest.mark.django_db
def test_celery_helpers_enter_the_scope(two_tenants, reseller_b):
    with reseller_scope(reseller_b.pk):
        assert [c.company_name for c in Customer.objects.all()] == ["B-cust"]

    @in_reseller_scope
    def task_body(*, reseller):
        return [c.company_name for c in Customer.objects.all()], reseller

    names, reseller = task_body(reseller_id=reseller_b.pk)
    assert names == ["B-cust"] and reseller == reseller_b
