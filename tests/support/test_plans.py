import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.roles import Role
from support import selectors, services
from support.models import PlanAssignment, SupportPlan
from tests.factories import CustomerFactory, SupportPlanFactory


@pytest.mark.django_db
def test_plan_needs_a_contact_and_viewers_cannot_create(owner_a, reseller_a, member_of, unscoped):
    with pytest.raises(ValidationError, match="at least one way to reach you"):
        services.support_plan_save(member=owner_a, name="Mute", hours="24x7")
    with pytest.raises(PermissionDenied):
        services.support_plan_save(
            member=member_of(reseller_a, Role.SALES), name="X", hours="24x7", email="x@example.test"
        )
    with unscoped():
        assert SupportPlan.objects.count() == 0


@pytest.mark.django_db
def test_one_plan_per_customer_with_history(owner_a, reseller_a, in_scope):
    customer = CustomerFactory(reseller=reseller_a)
    gold = services.support_plan_save(
        member=owner_a,
        name="Gold",
        hours="24x7",
        chat_url="https://chat.alpha.test",
        phone="+1 555 0101",
    )
    silver = services.support_plan_save(
        member=owner_a, name="Silver", hours="Mon–Fri 9–17", email="silver@alpha.test"
    )
    services.support_plan_assign(member=owner_a, customer=customer, plan=gold)
    services.support_plan_assign(member=owner_a, customer=customer, plan=silver)
    with in_scope(reseller_a):
        history = list(
            PlanAssignment.objects.filter(customer=customer).order_by("started_at", "id")
        )
        assert [(a.plan.name, a.ended_at is None) for a in history] == [
            ("Gold", False),
            ("Silver", True),
        ]
        assert selectors.current_plan(customer) == silver
        contact = selectors.support_contact_for(customer)
    assert contact["email"] == "silver@alpha.test" and contact["hours"] == "Mon–Fri 9–17"


@pytest.mark.django_db
def test_customer_without_plan_is_pointed_to_the_reseller(owner_a, reseller_a, in_scope):
    reseller_a.support_email = "help@alpha.test"
    reseller_a.save()
    customer = CustomerFactory(reseller=reseller_a)
    with in_scope(reseller_a):
        contact = selectors.support_contact_for(customer)
    assert contact["plan"] is None and contact["email"] == "help@alpha.test"
    assert contact["name"] == "Alpha Cloud"


@pytest.mark.django_db
def test_plan_of_another_reseller_cannot_be_assigned(owner_a, reseller_a, reseller_b):
    from django.http import Http404

    foreign = SupportPlanFactory(reseller=reseller_b)
    with pytest.raises(Http404):
        services.support_plan_assign(
            member=owner_a, customer=CustomerFactory(reseller=reseller_a), plan=foreign
        )


@pytest.mark.django_db
def test_plans_page_assigns_in_the_browser_with_constant_queries(
    owner_a, reseller_a, client_for, django_assert_max_num_queries, in_scope
):
    client = client_for(owner_a)
    plan = SupportPlanFactory(reseller=reseller_a, name="Premium care")
    customers = [CustomerFactory(reseller=reseller_a) for _ in range(3)]
    response = client.post(
        f"/support/customers/{customers[0].pk}/plan/", {"plan": plan.pk}, follow=True
    )
    assert f"{customers[0].company_name}: Premium care." in response.content.decode()
    with django_assert_max_num_queries(12) as few:
        client.get("/support/plans/")
    for _ in range(20):
        CustomerFactory(reseller=reseller_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/support/plans/").content.decode()
    assert page.count('<option value="">No plan') == 23
