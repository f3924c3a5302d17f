"""Logo uploads (issue 20, item 10): a logo's pixel size is capped at upload (a 12000×12000
PNG of ~140 KB is refused before it is decoded) and the stored logo is resized."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal import services


def png(width, height, mode="1") -> SimpleUploadedFile:
    out = BytesIO()
    Image.new(mode, (width, height)).save(out, format="PNG")
    return SimpleUploadedFile("logo.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_a_huge_logo_is_refused_before_it_is_decoded(owner_a, client_for, media):
    bomb = png(12000, 12000)
    assert bomb.size < 200_000  # small file, 144 million pixels
    with pytest.raises(
        ValidationError, match="12000×12000 pixels; upload one of at most 4000×4000"
    ):
        services.reseller_update_profile(member=owner_a, logo=bomb)
    page = (
        client_for(owner_a)
        .post(
            "/partner/profile/",
            {
                "name": "Alpha Cloud",
                "brand_colour": "#0b5cad",
                "accent_colour": "#0f766e",
                "logo": png(12000, 12000),
            },
        )
        .content.decode()
    )
    assert "12000×12000 pixels" in page
    owner_a.reseller.refresh_from_db()
    assert not owner_a.reseller.logo


@pytest.mark.django_db
def test_the_stored_logo_is_resized(owner_a, media):
    reseller = services.reseller_update_profile(member=owner_a, logo=png(2400, 800, "RGB"))
    with Image.open(reseller.logo.path) as stored:
        assert stored.size == (600, 200) and stored.format == "PNG"
