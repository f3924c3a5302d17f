"""Form errors are shown next to their field and summarised at the top (issue 21, item 9)."""

import re

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_customer_form_errors_next_to_fields_and_in_a_summary(owner_a, client_for):
    page = (
        client_for(owner_a)
        .post(reverse("customers:create"), {"company_name": "", "contact_email": "not-an-address"})
        .content.decode()
    )
    summary = re.search(r'data-testid="form-errors">(.*?)</div>', page, re.S).group(1)
    assert 'href="#id_company_name"' in summary and 'href="#id_contact_email"' in summary
    # the field's own message sits with it, and the field is marked invalid
    assert re.search(r'class="errorlist[^"]*"[^>]*>.*?This field is required', page, re.S)
    assert re.search(r'<input[^>]*name="company_name"[^>]*aria-invalid="true"', page)


@pytest.mark.django_db
def test_the_viewer_role_description_matches_what_viewers_see(owner_a, client_for):
    page = client_for(owner_a).get(reverse("members")).content.decode()
    assert "Viewer</strong>: read-only; sees revenue and customer prices, not your cost" in page
