"""API keys: created on the page (shown once) or by the command, bearer authentication in the
key's reseller, revoke and expiry, operations keys, and the rate limit per key."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import ApiKey, key_digest
from portal.models import AuditEvent
from portal.roles import Role
from tests.api.conftest import ApiClient
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_owner_creates_a_key_on_the_page_shown_once_and_stored_hashed(owner_a, client_for):
    client = client_for(owner_a)
    response = client.post("/partner/api-keys/", {"name": "HaloPSA sync", "role": "sales"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key.startswith("rp_") and key in response.content.decode()
    with scopes_disabled():
        api_key = ApiKey.objects.get()
    assert api_key.key_hash == key_digest(key) and key not in str(api_key.__dict__)
    assert api_key.prefix == key[:10] and api_key.role == Role.SALES
    assert api_key.reseller == owner_a.reseller and api_key.user == owner_a.user
    page = client.get("/partner/api-keys/").content.decode()
    assert key not in page and f"{api_key.prefix}…" in page and "HaloPSA sync" in page
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="api.key.created").count() == 1


def test_the_key_page_is_for_owners_and_admins(reseller_a, member_of, client_for):
    assert (
        client_for(member_of(reseller_a, Role.SALES)).get("/partner/api-keys/").status_code == 403
    )


def test_an_admin_cannot_create_an_owner_key(reseller_a, member_of, client_for):
    client = client_for(member_of(reseller_a, Role.ADMIN))
    response = client.post("/partner/api-keys/", {"name": "x", "role": "owner"}, follow=True)
    assert "Only an owner may create a key acting as owner." in response.content.decode()
    with scopes_disabled():
        assert not ApiKey.objects.exists()


def test_a_key_reads_its_resellers_customers_and_records_its_last_use(owner_a, key_for):
    CustomerFactory(reseller=owner_a.reseller, company_name="Contoso")
    key = key_for(owner_a, Role.VIEWER)
    response = ApiClient(key).get("/api/v1/customers/")
    assert response.status_code == 200
    assert [c["company_name"] for c in response.json()["results"]] == ["Contoso"]
    with scopes_disabled():
        assert ApiKey.objects.get().last_used_at is not None


def test_no_key_a_wrong_key_a_revoked_or_expired_key_answer_401(owner_a, key_for, client_for):
    assert Client().get("/api/v1/customers/").status_code == 401
    assert ApiClient("rp_not-a-key").get("/api/v1/customers/").status_code == 401
    key = key_for(owner_a)
    with scopes_disabled():
        api_key = ApiKey.objects.get()
    page = client_for(owner_a).post(f"/partner/api-keys/{api_key.pk}/revoke/", follow=True)
    assert "revoked" in page.content.decode()
    response = ApiClient(key).get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "The API key is unknown, revoked or expired."
    expired = key_for(owner_a, expires_at=timezone.now() + dt.timedelta(hours=1))
    with scopes_disabled():
        ApiKey.objects.filter(key_hash=key_digest(expired)).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    assert ApiClient(expired).get("/api/v1/customers/").status_code == 401


def test_command_prints_the_key_on_its_last_line(owner_a, capsys):
    call_command(
        "api_key_create",
        "--email",
        owner_a.user.email,
        "--reseller",
        owner_a.reseller.name,
        "--role",
        "billing",
    )
    key = capsys.readouterr().out.strip().splitlines()[-1]
    with scopes_disabled():
        api_key = ApiKey.objects.get(key_hash=key_digest(key))
    assert api_key.role == Role.BILLING and api_key.reseller == owner_a.reseller
    assert ApiClient(key).get("/api/v1/customers/").status_code == 200


def test_operations_key_reads_the_reseller_it_chooses(reseller_a, reseller_b, capsys):
    CustomerFactory(reseller=reseller_a, company_name="Alpha Customer")
    CustomerFactory(reseller=reseller_b, company_name="Beta Customer")
    ops = UserFactory(is_staff=True)
    call_command("api_key_create", "--email", ops.email, "--role", "viewer")
    client = ApiClient(capsys.readouterr().out.strip().splitlines()[-1])
    response = client.get("/api/v1/customers/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Operations keys choose a reseller with ?reseller=ID."
    names = [
        c["company_name"]
        for c in client.get(f"/api/v1/customers/?reseller={reseller_b.pk}").json()["results"]
    ]
    assert names == ["Beta Customer"]
    assert client.get("/api/v1/customers/?reseller=999999").status_code == 404
    # read-only: an operations key cannot write in a reseller
    response = client.post(f"/api/v1/customers/?reseller={reseller_b.pk}", {"company_name": "X"})
    assert response.status_code == 403


def test_a_member_cannot_create_an_operations_key(owner_a):
    with pytest.raises(Exception, match="Only operations staff"):
        call_command("api_key_create", "--email", owner_a.user.email, "--role", "viewer")


def test_rate_limit_per_key_answers_429_with_retry_after(
    owner_a, reseller_b, member_of, api_for, settings
):
    settings.API_RATE_LIMIT = "3/minute"
    client, other = api_for(owner_a), api_for(member_of(reseller_b))
    assert [client.get("/api/v1/customers/").status_code for _ in range(3)] == [200] * 3
    response = client.get("/api/v1/customers/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "rate_limited"
    assert other.get("/api/v1/customers/").status_code == 200  # another key, its own count


@pytest.mark.django_db
def test_me_names_the_key_its_reseller_and_role(owner_a, key_for):
    me = ApiClient(key_for(owner_a, Role.VIEWER)).get("/api/v1/me/")
    assert me.status_code == 200
    body = me.json()
    assert (body["reseller"], body["reseller_name"], body["role"], body["operations"]) == (
        owner_a.reseller.pk,
        "Alpha Cloud",
        "viewer",
        False,
    )
    assert body["key_name"] == "test key"
    assert Client().get("/api/v1/me/").status_code == 401
