"""Issue 21 item 9: every form shows its errors next to their field and summarised at the top
(templates/_form_errors.html); the viewer role's description matches what viewers see."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from portal.roles import Role

TEMPLATES = Path(settings.BASE_DIR) / "templates"
POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", re.S)
FORM_VAR = re.compile(r"\{\{ *([a-z_]*form)\b[ .|}]|\{% for field in ([a-z_]*form) ")


def test_every_posted_django_form_has_the_error_summary():
    missing = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if "allauth" in path.parts or path.name == "_form_errors.html":
            continue
        for block in POST_FORM.findall(path.read_text()):
            if FORM_VAR.search(block) and "_form_errors.html" not in block:
                missing.append(str(path.relative_to(TEMPLATES)))
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, data, field",
    [
        ("support:ticket_create", {"category": "billing", "priority": "normal"}, "subject"),
        ("support:plans", {"name": ""}, "name"),
        ("profile", {"name": ""}, "name"),
    ],
)
def test_an_invalid_form_says_what_to_fix_at_the_top_and_by_the_field(
    owner_a, client_for, name, data, field
):
    page = client_for(owner_a).post(reverse(name), data).content.decode()
    summary = re.search(r'<div[^>]*data-testid="form-errors".*?</div>', page, re.S)
    assert summary, page[:2000]
    assert f'href="#id_{field}"' in summary.group(0)
    assert 'class="errorlist' in page.split('data-testid="form-errors"', 1)[1]


@pytest.mark.django_db
def test_viewer_sees_revenue_and_customer_prices_not_cost_or_margin(
    member_of, reseller_a, client_for
):
    viewer = member_of(reseller_a, Role.VIEWER)
    client = client_for(viewer)
    members = client.get(reverse("members")).content.decode()
    assert "sees revenue and customer prices, not your cost or margin" in members
    report = client.get(reverse("billing:report_azure_plan")).content.decode()
    assert "Customer price" in report and 'data-testid="no-money"' in report
    assert 'data-testid="total-cost"' not in report
