"""The OpenAPI schema and its documentation page (assets served by the portal, CSP kept)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_with_bearer_keys_under_v1():
    response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert "/api/v1/customers/" in schema["paths"]


def test_docs_page_loads_its_scripts_from_the_portal_under_the_csp():
    client = Client()
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in html  # no inline script: the init script is a file of its own
    scripts = [part.split('"')[0] for part in html.split('<script src="')[1:]]
    assert len(scripts) == 3
    for src in scripts:
        assert src.startswith("/"), src  # same origin, no CDN
        assert client.get(src).status_code == 200, src
