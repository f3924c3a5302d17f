import pytest

from tests.webhooks.receiver import Receiver
from webhooks import services


@pytest.fixture
def endpoint_for():
    """endpoint_for(member, url, events=[...]) -> (endpoint, secret)."""

    def make(member, url, events=("customer.created",)):
        return services.webhook_endpoint_create(member=member, url=url, events=list(events))

    return make


@pytest.fixture
def receiver():
    """receiver(answers=[500, 500]) -> a started Receiver (stopped after the test)."""
    started = []

    def make(**kwargs):
        r = Receiver(**kwargs).__enter__()
        started.append(r)
        return r

    yield make
    for r in started:
        r.__exit__(None, None, None)
