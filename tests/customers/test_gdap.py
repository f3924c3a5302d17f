"""GDAP relationships as a reseller lives them on the sandbox: ask for one with chosen roles,
get the approval link (customer page and customer portal), the customer approves, the beat job
sees it active and assigns the reseller's security group, reminds 30 and 7 days before the
end (once each), then sees it expiring and expired. Auto-extend where Microsoft allows it."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from customers import links
from customers.gdap import roles
from customers.gdap.models import AdminRelationship
from customers.gdap.services import relationship_request, relationships_poll
from customers.tasks import poll_gdap_relationships
from partner_center.gdap import SandboxGdap
from partner_center.models import SandboxAdminRelationship
from portal.models import AuditEvent, Notification
from portal.roles import Role

UTC = dt.UTC
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GROUP = "869713c9-0b28-4d08-8949-ae07ae1bf528"


@pytest.fixture
def customer(owner_a, onboard):
    with time_machine.travel(START, tick=False):
        return onboard(owner_a)


def ask(owner, customer, *, days=90, auto_extend=False, role_ids=roles.DEFAULTS, group=GROUP):
    return relationship_request(
        member=owner,
        customer=customer,
        role_ids=list(role_ids),
        days=days,
        auto_extend=auto_extend,
        security_group_id=group,
    )


def poll_at(when):
    with time_machine.travel(when, tick=False):
        return relationships_poll()


def reminders(unscoped):
    with unscoped():
        return list(
            Notification.objects.filter(title__contains="ends in").values_list("title", flat=True)
        )


def test_a_relationship_goes_through_its_states_with_reminders_once_each(
    customer, owner_a, member_of, reseller_a, unscoped, django_capture_on_commit_callbacks
):
    sales = member_of(reseller_a, Role.SALES)
    member_of(reseller_a, Role.VIEWER)  # not told: cannot act on it
    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer)
    assert rel.status == "approvalPending" and rel.relationship_id
    assert rel.approval_url == (
        "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/"
        f"granularAdminRelationships/{rel.relationship_id}"
    )
    with unscoped():
        sandbox_row = SandboxAdminRelationship.objects.get(relationship_id=rel.relationship_id)
    assert sandbox_row.role_ids == list(roles.DEFAULTS) and sandbox_row.duration == "P90D"
    assert sandbox_row.customer_tenant_id == str(customer.tenant_id)

    assert poll_at(START + dt.timedelta(hours=1)) == {"polled": 1, "failed": 0}
    with unscoped():
        rel.refresh_from_db()
        assert (rel.status, rel.assignment_id) == ("approvalPending", "")  # not approved yet

    approved = START + dt.timedelta(days=1)
    with time_machine.travel(approved, tick=False):
        SandboxGdap().approve(rel.relationship_id)
    with django_capture_on_commit_callbacks(execute=True):
        poll_at(approved + dt.timedelta(hours=1))
    with unscoped():
        rel.refresh_from_db()
        assert rel.status == "active" and rel.ends_at == approved + dt.timedelta(days=90)
        # the reseller's security group holds the relationship's roles, once
        assert rel.assignment_status == "pending"
        sandbox_row.refresh_from_db()
        assert [(a["group_id"], a["role_ids"]) for a in sandbox_row.assignments] == [
            (GROUP, list(roles.DEFAULTS))
        ]
        approved = Notification.objects.filter(title__contains="approved admin access")
        assert {n.user for n in approved} == {owner_a.user, sales.user}
    poll_at(START + dt.timedelta(days=1, hours=2))
    with unscoped():
        rel.refresh_from_db()
        assert rel.assignment_status == "active"
        sandbox_row.refresh_from_db()
        assert len(sandbox_row.assignments) == 1

    end = rel.ends_at
    poll_at(end - dt.timedelta(days=31))
    assert reminders(unscoped) == []
    with django_capture_on_commit_callbacks(execute=True):
        poll_at(end - dt.timedelta(days=30))
        poll_at(end - dt.timedelta(days=29))  # the next hourly/daily run: not again
    thirty = reminders(unscoped)
    assert len(thirty) == 2  # the owner and the sales member, once each
    assert all("ends in 30 days" in t for t in thirty)
    assert sorted(m.to[0] for m in mail.outbox if "ends in 30 days" in m.subject) == sorted(
        [owner_a.user.email, sales.user.email]
    )
    poll_at(end - dt.timedelta(days=8))
    assert len(reminders(unscoped)) == 2
    poll_at(end - dt.timedelta(days=7))
    poll_at(end - dt.timedelta(days=6))
    poll_at(end - dt.timedelta(days=1))
    later = reminders(unscoped)
    assert len(later) == 4 and sum("ends in 7 days" in t for t in later) == 2

    poll_at(end + dt.timedelta(hours=1))
    with unscoped():
        rel.refresh_from_db()
        assert rel.status == "expiring"
    poll_at(end + dt.timedelta(days=1, hours=1))
    with unscoped():
        rel.refresh_from_db()
        assert rel.status == "expired"
        assert Notification.objects.filter(title__contains="has expired").count() == 2
        statuses = [
            (e.data["from"], e.data["to"])
            for e in AuditEvent.objects.filter(action="customers.gdap.status_changed").order_by(
                "pk"
            )
        ]
        assert statuses == [
            ("approvalPending", "active"),
            ("active", "expiring"),
            ("expiring", "expired"),
        ]
        assert AuditEvent.objects.filter(action="customers.gdap.reminded").count() == 2
    # an expired relationship is no longer polled
    assert poll_at(end + dt.timedelta(days=3)) == {"polled": 0, "failed": 0}


def test_a_first_look_inside_seven_days_sends_only_the_seven_day_reminder(
    customer, owner_a, unscoped
):
    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer, days=5)
        SandboxGdap().approve(rel.relationship_id)
    poll_at(START + dt.timedelta(hours=1))
    poll_at(START + dt.timedelta(days=1))
    titles = reminders(unscoped)
    assert len(titles) == 1 and "ends in 4 days" in titles[0]


def test_auto_extend_means_no_reminder_and_a_later_end(customer, owner_a, unscoped):
    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer, days=40, auto_extend=True)
        SandboxGdap().approve(rel.relationship_id)
    poll_at(START + dt.timedelta(days=20))
    poll_at(START + dt.timedelta(days=41))
    assert reminders(unscoped) == []
    with unscoped():
        rel.refresh_from_db()
        assert rel.status == "active"
        assert rel.ends_at == START + dt.timedelta(days=40 + 180)


def test_auto_extend_is_refused_with_the_global_administrator(customer, owner_a, unscoped):
    from django.core.exceptions import ValidationError

    with (
        time_machine.travel(START, tick=False),
        pytest.raises(ValidationError, match="Global Administrator"),
    ):
        ask(owner_a, customer, role_ids=[roles.GLOBAL_ADMINISTRATOR], auto_extend=True)
    with unscoped():
        assert not AdminRelationship.objects.exists()
        assert not SandboxAdminRelationship.objects.exists()


def test_a_second_request_waits_until_the_first_has_ended(customer, owner_a):
    from django.core.exceptions import ValidationError

    with time_machine.travel(START, tick=False):
        ask(owner_a, customer)
        with pytest.raises(ValidationError, match="already has an admin relationship"):
            ask(owner_a, customer)


def test_the_pages_show_the_approval_link_and_the_sandbox_approves(
    customer, owner_a, client_for, unscoped
):
    client = client_for(owner_a)
    page = reverse("customers:detail", kwargs={"customer_id": customer.pk})
    assert "Ask for admin access" in client.get(page).content.decode()
    form = client.get(reverse("customers:gdap_request", kwargs={"customer_id": customer.pk}))
    assert "Directory Readers" in form.content.decode()
    answer = client.post(
        reverse("customers:gdap_request", kwargs={"customer_id": customer.pk}),
        {
            "role_ids": ["88d8e3e3-8f55-4a1e-953a-9b9898b8876b"],
            "days": "730",
            "auto_extend": "on",
            "security_group_id": GROUP,
        },
        follow=True,
    )
    html = answer.content.decode()
    with unscoped():
        rel = AdminRelationship.objects.get()
    assert rel.duration == "P730D" and rel.auto_extend
    assert "Waiting for the customer&#x27;s approval" in html
    assert f"granularAdminRelationships/{rel.relationship_id}" in html
    # the customer portal shows the same link to the customer
    portal = client.get(
        reverse("customer_portal:home", kwargs={"token": links.portal_token(customer)})
    ).content.decode()
    assert f"granularAdminRelationships/{rel.relationship_id}" in portal
    assert "Directory Readers" in portal
    # no link asks for the retired DAP
    assert "DAP=true" not in html

    client.post(
        reverse(
            "customers:gdap_sandbox_approve",
            kwargs={"customer_id": customer.pk, "relationship_id": rel.pk},
        )
    )
    with unscoped():
        rel.refresh_from_db()
    assert rel.status == "active" and rel.assignment_id
    portal = client.get(
        reverse("customer_portal:home", kwargs={"token": links.portal_token(customer)})
    ).content.decode()
    assert "granularAdminRelationships" not in portal
    client.post(
        reverse(
            "customers:gdap_auto_extend",
            kwargs={"customer_id": customer.pk, "relationship_id": rel.pk},
        ),
        {"auto_extend": "0"},
    )
    with unscoped():
        rel.refresh_from_db()
        assert not rel.auto_extend
        assert SandboxAdminRelationship.objects.get().auto_extend_duration == "PT0S"


def test_another_reseller_gets_404(customer, owner_a, owner_b, client_for):
    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer)
    other = client_for(owner_b)
    assert (
        other.get(
            reverse("customers:gdap_request", kwargs={"customer_id": customer.pk})
        ).status_code
        == 404
    )
    assert (
        other.post(
            reverse(
                "customers:gdap_refresh",
                kwargs={"customer_id": customer.pk, "relationship_id": rel.pk},
            )
        ).status_code
        == 404
    )


def test_the_beat_task_polls(customer, owner_a):
    with time_machine.travel(START, tick=False):
        ask(owner_a, customer)
        assert poll_gdap_relationships() == {"imported": 0, "polled": 1, "failed": 0}


def test_a_relationship_the_customer_terminates_ends_access(customer, owner_a, unscoped):
    from customers.gdap.services import has_tenant_access

    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer)
        SandboxGdap().approve(rel.relationship_id)
    poll_at(START + dt.timedelta(hours=1))
    with unscoped():
        assert has_tenant_access(customer)
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        SandboxGdap().terminate(rel.relationship_id)
    poll_at(START + dt.timedelta(days=3, hours=1))
    with unscoped():
        rel.refresh_from_db()
        assert rel.status == "terminated" and not has_tenant_access(customer)
        assert Notification.objects.filter(title__contains="has ended").exists()
    # a new one may be asked for now
    with time_machine.travel(START + dt.timedelta(days=4), tick=False):
        assert ask(owner_a, customer).status == "approvalPending"


def test_the_dashboard_lists_pending_and_ending_relationships(
    customer, owner_a, client_for, unscoped
):
    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer, days=40)
        page = client_for(owner_a).get(reverse("dashboard")).content.decode()
    assert "waiting for the customer's approval" in page
    with time_machine.travel(START, tick=False):
        SandboxGdap().approve(rel.relationship_id)
    poll_at(START + dt.timedelta(hours=1))
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        page = client_for(owner_a).get(reverse("dashboard")).content.decode()
    assert "waiting for the customer" not in page and "ends 2026-04-11" not in page
    with time_machine.travel(START + dt.timedelta(days=15), tick=False):
        page = client_for(owner_a).get(reverse("dashboard")).content.decode()
    assert f'{customer.company_name}</a> <small class="muted">ends 2026-04-11' in page


def test_a_failed_lock_is_kept_and_the_poll_sends_it_for_approval(
    customer, owner_a, unscoped, monkeypatch
):
    from partner_center.errors import Unavailable

    real = SandboxGdap.lock_for_approval

    def down(self, relationship_id):
        raise Unavailable("Microsoft Graph did not answer (ReadTimeout).")

    monkeypatch.setattr(SandboxGdap, "lock_for_approval", down)
    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer)
    assert rel.status == "created" and "ReadTimeout" in rel.last_error
    monkeypatch.setattr(SandboxGdap, "lock_for_approval", real)
    poll_at(START + dt.timedelta(hours=1))
    with unscoped():
        rel.refresh_from_db()
        assert (rel.status, rel.last_error) == ("approvalPending", "")
        assert SandboxAdminRelationship.objects.get().status == "approvalPending"


def test_relationships_made_in_partner_center_are_found_and_give_access(
    customer, owner_a, unscoped
):
    """A relationship the reseller made outside the portal (Partner Center) with a portal
    customer is recorded by the hourly job; ended ones and other tenants' are left out."""
    from customers.gdap.services import has_tenant_access, relationships_discover

    sandbox = SandboxGdap()
    with time_machine.travel(START, tick=False):
        kwargs = {"duration": "P365D", "role_ids": roles.DEFAULTS, "auto_extend": False}
        made = sandbox.create_relationship(
            display_name="Made in Partner Center",
            customer_tenant_id=str(customer.tenant_id),
            customer_name=customer.company_name,
            **kwargs,
        )
        sandbox.lock_for_approval(made.id)
        sandbox.approve(made.id)
        ended = sandbox.create_relationship(
            display_name="Old one",
            customer_tenant_id=str(customer.tenant_id),
            customer_name=customer.company_name,
            **kwargs,
        )
        sandbox.terminate(ended.id)
        sandbox.create_relationship(
            display_name="Someone else's customer",
            customer_tenant_id="52eaad04-13a2-4a2f-9ce8-93a294fadf36",
            customer_name="Elsewhere",
            **kwargs,
        )
    with unscoped():
        assert not has_tenant_access(customer)
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        # just read from Microsoft, active and far from its end: asked again tomorrow
        assert poll_gdap_relationships() == {"imported": 1, "polled": 0, "failed": 0}
        assert relationships_discover() == 0
    with unscoped():
        rel = AdminRelationship.objects.get()
        assert (rel.relationship_id, rel.status, rel.customer) == (made.id, "active", customer)
        assert rel.ends_at == START + dt.timedelta(days=365)
        assert has_tenant_access(customer)
        assert AuditEvent.objects.filter(action="customers.gdap.imported").count() == 1


def test_a_settled_active_relationship_is_asked_once_a_day(customer, owner_a, unscoped):
    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer, days=365)
        SandboxGdap().approve(rel.relationship_id)
    assert poll_at(START + dt.timedelta(hours=1))["polled"] == 1  # active: assign
    assert poll_at(START + dt.timedelta(hours=2))["polled"] == 1  # assignment now active
    assert poll_at(START + dt.timedelta(hours=3))["polled"] == 0  # settled: not this hour
    assert poll_at(START + dt.timedelta(hours=23))["polled"] == 1  # a day later
    # within 31 days of the end, every hour again (reminders, expiry)
    end = START + dt.timedelta(days=365)
    assert poll_at(end - dt.timedelta(days=31, hours=-1))["polled"] == 1
    assert poll_at(end - dt.timedelta(days=31, hours=-2))["polled"] == 1


def test_a_request_whose_answer_was_lost_makes_no_second_relationship(customer, owner_a, unscoped):
    """Graph made the relationship but the answer never came (a timeout) and the request
    failed for the reseller: asking again adopts the one Microsoft holds (still `created`,
    named for this customer, same roles and duration) instead of making a second one for the
    customer to approve."""
    with time_machine.travel(START, tick=False):
        SandboxGdap().create_relationship(  # what Microsoft holds after the lost answer
            display_name=f"Contoso {customer.pk}-20260302090000",
            duration="P90D",
            customer_tenant_id=str(customer.tenant_id),
            customer_name="Contoso",
            role_ids=tuple(roles.DEFAULTS),
            auto_extend=False,
        )
    with time_machine.travel(START + dt.timedelta(minutes=1), tick=False):
        relationship = ask(owner_a, customer)
    with unscoped():
        held = SandboxAdminRelationship.objects.get()
    assert relationship.relationship_id == held.relationship_id
    assert relationship.status == held.status == "approvalPending"  # locked for approval


def test_a_lost_answer_is_found_at_once_when_graph_made_it(
    customer, owner_a, unscoped, monkeypatch
):
    from partner_center.errors import Unavailable

    made = SandboxGdap.create_relationship

    def made_but_lost(self, **kwargs):
        made(self, **kwargs)
        raise Unavailable("Microsoft Graph did not answer in time.")

    monkeypatch.setattr(SandboxGdap, "create_relationship", made_but_lost)
    with time_machine.travel(START, tick=False):
        relationship = ask(owner_a, customer)
    with unscoped():
        held = SandboxAdminRelationship.objects.get()
    assert (relationship.relationship_id, relationship.status) == (
        held.relationship_id,
        "approvalPending",
    )


def test_a_relationship_of_other_roles_or_made_elsewhere_is_not_taken(customer, owner_a, unscoped):
    with time_machine.travel(START, tick=False):
        gateway = SandboxGdap()
        # made in Partner Center by hand, and one of the portal's with other roles
        for name, role_ids in [
            ("Contoso by hand", roles.DEFAULTS),
            (f"Contoso {customer.pk}-20260301090000", roles.DEFAULTS[:1]),
        ]:
            gateway.create_relationship(
                display_name=name,
                duration="P90D",
                customer_tenant_id=str(customer.tenant_id),
                customer_name="Contoso",
                role_ids=tuple(role_ids),
                auto_extend=False,
            )
        relationship = ask(owner_a, customer)
    with unscoped():
        assert SandboxAdminRelationship.objects.count() == 3  # a new one
        assert relationship.display_name.endswith(f" {customer.pk}-20260302090000")


def test_the_reseller_ends_admin_access_after_a_confirmation(
    customer, owner_a, client_for, unscoped
):
    from customers.gdap.services import has_tenant_access

    with time_machine.travel(START, tick=False):
        rel = ask(owner_a, customer)
    client = client_for(owner_a)
    page = reverse("customers:detail", kwargs={"customer_id": customer.pk})
    end = reverse(
        "customers:gdap_terminate", kwargs={"customer_id": customer.pk, "relationship_id": rel.pk}
    )
    assert "End admin access" not in client.get(page).content.decode()  # not approved yet
    refused = client.post(end, follow=True).content.decode()
    assert "Only an active relationship can be ended" in refused
    SandboxGdap().approve(rel.relationship_id)
    relationships_poll()
    assert f'<form method="get" action="{end}"' in client.get(page).content.decode()
    confirm = client.get(end).content.decode()
    assert "security group loses its roles" in confirm
    with unscoped():
        assert AdminRelationship.objects.get().status == "active"  # nothing happens on GET
    done = client.post(end, follow=True).content.decode()
    assert "Admin access ended" in done
    with unscoped():
        rel.refresh_from_db()
        assert rel.status == "terminated"
        assert SandboxAdminRelationship.objects.get().status == "terminated"
        assert AuditEvent.objects.filter(action="customers.gdap.terminated").exists()
        assert not has_tenant_access(customer)
    assert "Ask for admin access" in client.get(page).content.decode()  # a new one may be asked
