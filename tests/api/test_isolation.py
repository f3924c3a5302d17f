import pytest
from django.test import Client

from tests import factories
from tests.api.isolation import PROVIDERS, SHARED, crawl

pytestmark = pytest.mark.django_db


def test_reseller_b_key_gets_404_for_every_operation_on_reseller_a_ids(
    reseller_a, owner_a, owner_b, key_for
):
    factories.CustomerFactory(reseller=reseller_a, company_name="Alpha Secret Customer")
    factories.TicketFactory(reseller=reseller_a, subject="Alpha private ticket")
    factories.WebhookDeliveryFactory(
        endpoint__reseller=reseller_a, endpoint__url="https://alpha-psa.example.test/hook"
    )
    schema = Client().get("/api/v1/schema/?format=json").json()

    report = crawl(
        schema=schema,
        key_b=key_for(owner_b),
        reseller_a=reseller_a,
        a_markers=[
            "Alpha Cloud",
            "Alpha Secret Customer",
            "Alpha private ticket",
            "alpha-psa.example.test",
            owner_a.user.email,
        ],
    )

    assert report.leaks == []
    assert report.operations == sum(
        1
        for ops in schema["paths"].values()
        for m in ops
        if m in ("get", "post", "patch", "put", "delete")
    )
    print(
        f"\nAPI isolation crawl with B's key: {report.operations} operations, "
        f"{report.requests} requests, 0 leaks"
    )


def test_every_resource_of_the_schema_has_a_provider_or_is_shared():
    schema = Client().get("/api/v1/schema/?format=json").json()
    from tests.api.isolation import _resource

    resources = {_resource(p) for p in schema["paths"] if "{id}" in p}
    assert resources <= set(PROVIDERS) | set(SHARED)
