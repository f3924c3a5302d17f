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


def test_the_operation_count_is_printed_for_the_closing_note():
    from io import StringIO

    from django.core.management import call_command

    schema = Client().get("/api/v1/schema/?format=json").json()
    count = sum(
        1
        for ops in schema["paths"].values()
        for m in ops
        if m in ("get", "post", "patch", "delete")
    )
    out = StringIO()
    call_command("api_operations", stdout=out)
    assert out.getvalue().splitlines()[-1] == f"{count} operations in the API schema"
    assert count >= 45
    print(f"\n{out.getvalue()}")


def test_every_operation_documents_its_problems():
    schema = Client().get("/api/v1/schema/?format=json").json()
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "patch", "delete"):
                continue
            expected = {"400", "401", "403", "404", "429"} | (
                {"409"} if method == "post" else set()
            )
            assert expected <= op["responses"].keys(), (method, path)
            for status in expected:
                content = op["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
            assert "Retry-After" in op["responses"]["429"]["headers"]
