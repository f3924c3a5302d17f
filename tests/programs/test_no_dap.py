"""Relationship links never ask for the retired delegated admin privileges (DAP=true): a
template still carrying it is refused when edited and filled with DAP=false when stored."""

import pytest
from django.core.exceptions import ValidationError

from programs import links
from programs.models import CountryProgramLink

OLD = (
    "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship"
    "&partnerId={providerTenantId}&msppId={resellerPartnerId}&indirectCSPId={resellerTenantId}"
    "&DAP=true#/BillingAccounts/partner-invitation"
)
VALUES = {
    "providerTenantId": "5f0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
    "resellerPartnerId": "1234567",
    "resellerTenantId": "6f1d2c3b-0a4e-4c8f-9b7a-1e2d3c4b5a60",
}


def test_an_old_template_with_dap_true_is_filled_with_dap_false():
    url = links.fill(OLD, VALUES)
    assert "DAP=true" not in url and "&DAP=false#/BillingAccounts" in url
    assert links.fill("https://x.test/?DAP=TRUE", {}) == "https://x.test/?DAP=false"
    assert links.fill("https://x.test/?DAPx=true", {}) == "https://x.test/?DAPx=true"


def test_a_template_asking_for_dap_is_refused():
    link = CountryProgramLink(
        country="US", kind="end_customer", label="End customer", url_template=OLD
    )
    with pytest.raises(ValidationError, match="retired delegated admin privileges"):
        link.clean()
    link.url_template = OLD.replace("DAP=true", "DAP={dap}")
    link.clean()
