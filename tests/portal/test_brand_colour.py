"""A reseller's brand colour must read on white: 4.5:1 at least (WCAG 2.1 AA; issue 21)."""

import pytest

from portal.colours import contrast_on_white
from portal.forms import ResellerProfileForm


@pytest.mark.parametrize(
    "colour, ratio",
    [
        ("#ffffff", 1.0),
        ("#000000", 21.0),
        ("#0b5cad", 6.67),
        ("#767676", 4.5),
        ("#ffcc00", 1.5),
    ],
)
def test_contrast_on_white(colour, ratio):
    assert contrast_on_white(colour) == pytest.approx(ratio, abs=0.06)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "colour, accepted",
    [
        ("#0b5cad", True),
        ("#767676", True),
        ("#777777", False),
        ("#ffcc00", False),
    ],
)
def test_the_profile_refuses_a_brand_colour_below_4_5_to_1(reseller_a, colour, accepted):
    form = ResellerProfileForm(
        data={"name": reseller_a.name, "brand_colour": colour, "accent_colour": "#0f766e"},
        instance=reseller_a,
    )
    form.is_valid()
    assert ("brand_colour" not in form.errors) is accepted
    if not accepted:
        assert "too light" in form.errors["brand_colour"][0]
        assert "at least 4.5:1" in form.errors["brand_colour"][0]
