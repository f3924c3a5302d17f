import uuid

import pytest
from django.test import Client

from api import services
from portal.roles import Role


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """The per-key rate counts live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def key_for(db):
    """key_for(membership, role=None) -> a new API key acting as that member's role."""

    def make(member, role=None, **kwargs):
        _, key = services.api_key_create(
            member=member, name="test key", role=role or member.role, **kwargs
        )
        return key

    return make


@pytest.fixture
def api_for(key_for):
    """api_for(membership, role=None) -> a test client sending that member's new API key."""

    def make(member, role=None):
        return ApiClient(key_for(member, role))

    return make


class ApiClient(Client):
    """Django's test client with a bearer key, JSON bodies and an Idempotency-Key per POST."""

    def __init__(self, key):
        super().__init__(headers={"Authorization": f"Bearer {key}"})
        self.key = key

    def post(self, path, data=None, *, idempotency_key=None, **extra):
        headers = {
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
            **extra.pop("headers", {}),
        }
        return super().post(
            path, data or {}, content_type="application/json", headers=headers, **extra
        )

    def patch(self, path, data=None, **extra):
        return super().patch(path, data or {}, content_type="application/json", **extra)


@pytest.fixture
def api_a(owner_a, api_for):
    return api_for(owner_a)


@pytest.fixture
def api_b(owner_b, api_for):
    return api_for(owner_b)


@pytest.fixture
def viewer_role():
    return Role.VIEWER
