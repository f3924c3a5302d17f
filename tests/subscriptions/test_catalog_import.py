from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from subscriptions.catalog.models import Offer, OfferPrice
from subscriptions.services import catalog_import
from tests.factories import UserFactory

HEADER = (
    "sku,name,product_type,terms,billing_frequencies,min_quantity,max_quantity,cap_group,"
    "term,currency,cost,effective_from\n"
)
GOOD = HEADER + (
    'CFQ7TTC0LH18:0001,Microsoft 365 Business Basic,nce,"P1M,P1Y","monthly,annual",1,300,'
    "m365-business,P1Y,USD,72.00,2026-01-01\n"
    'CFQ7TTC0LH18:0001,Microsoft 365 Business Basic,nce,"P1M,P1Y","monthly,annual",1,300,'
    "m365-business,P1M,CAD,9.72,2026-01-01\n"
)


@pytest.fixture
def ops(db):
    return UserFactory(is_staff=True)


def nothing_written():
    return Offer.objects.count() == 0 and OfferPrice.objects.count() == 0


@pytest.mark.django_db
def test_import_creates_then_updates_without_duplicates(ops):
    first = catalog_import(user=ops, data=GOOD.encode())
    assert (first.offers_created, first.prices_created) == (1, 2)
    again = catalog_import(user=ops, data=GOOD.replace("72.00", "75.50").encode())
    assert (
        again.offers_created,
        again.offers_updated,
        again.prices_created,
        again.prices_updated,
    ) == (0, 1, 0, 2)
    price = OfferPrice.objects.get(term="P1Y", currency="USD")
    assert price.cost == Decimal("75.50")
    assert Offer.objects.get().cap_group.max_seats == 300


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"sku,name\nX,Y\n", "Wrong header row. Missing: product_type"),
        (
            HEADER.encode()
            + "X,Café,nce,P1M,monthly,1,5,,P1M,USD,1,2026-01-01\n".encode("latin-1"),
            "not UTF-8 text",
        ),
        (
            GOOD.replace("2026-01-01", "01/01/2026", 1).encode(),
            "Line 2: effective_from '01/01/2026' must be a date YYYY-MM-DD",
        ),
        (GOOD.replace("72.00", '"72,00"', 1).encode(), "Line 2: cost '72,00' must be a number"),
        (GOOD.replace("72.00", "72,00", 1).encode(), "Line 2: more cells than headers"),
        (GOOD.replace("72.00", "-1", 1).encode(), "Line 2: cost '-1' must be a number ≥ 0"),
        (
            GOOD.replace(",1,300,", ",0,300,", 1).encode(),
            "Line 2: min_quantity '0' must be a whole number of at least 1",
        ),
        (GOOD.replace(",nce,", ",direct-eaa,", 1).encode(), "Line 2: unknown product_type"),
        (GOOD.replace("USD", "XYZ", 1).encode(), "Line 2: currency 'XYZ' is not supported"),
        (
            GOOD.replace("Microsoft 365 Business Basic", '"=HYPERLINK(""http://x"")"', 1).encode(),
            "Line 2: name '=HYPERLINK(\"http://x\")' looks like a spreadsheet formula",
        ),
        (
            GOOD.replace(",1,300,", ",1,250,", 1).encode(),
            "Line 3: offer CFQ7TTC0LH18:0001 differs from its earlier row in max_quantity",
        ),
        (GOOD + GOOD.splitlines(keepends=True)[1], "Line 4: duplicate price for CFQ7TTC0LH18:0001"),
        (
            GOOD.replace(",P1Y,USD,", ",P3Y,USD,", 1).encode(),
            "Line 2: term 'P3Y' is not among the offer's terms",
        ),
        (HEADER.encode(), "header row but no data"),
    ],
)
def test_bad_files_are_rejected_whole_with_line_and_reason(ops, data, message):
    data = data if isinstance(data, bytes) else data.encode()
    with pytest.raises(ValidationError) as exc:
        catalog_import(user=ops, data=data)
    assert any(message in m for m in exc.value.messages), exc.value.messages
    assert nothing_written()


@pytest.mark.django_db
def test_a_bom_is_accepted(ops):
    catalog_import(user=ops, data=b"\xef\xbb\xbf" + GOOD.encode())
    assert Offer.objects.count() == 1


@pytest.mark.django_db
def test_only_staff_may_import(owner_a):
    with pytest.raises(PermissionDenied):
        catalog_import(user=owner_a.user, data=GOOD.encode())
    assert nothing_written()


@pytest.mark.django_db
def test_demo_catalog_imports_and_ops_page_reports_errors(ops, client, settings_mfa_off):
    data = (Path(settings.BASE_DIR) / "subscriptions/fixtures/demo_catalog.csv").read_bytes()
    result = catalog_import(user=ops, data=data)
    assert result.offers_created == 11
    client.force_login(ops)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/ops/catalog/import/",
        {"file": SimpleUploadedFile("bad.csv", GOOD.replace("72.00", "abc", 1).encode())},
    )
    page = response.content.decode()
    assert "bad.csv was not imported: nothing was changed." in page
    assert "Line 2: cost &#x27;abc&#x27; must be a number" in page
    response = client.post(
        "/ops/catalog/import/", {"file": SimpleUploadedFile("good.csv", GOOD.encode())}, follow=True
    )
    assert "good.csv imported: 0 offers created, 1 updated" in response.content.decode()


@pytest.fixture
def settings_mfa_off(settings):
    settings.STAFF_MFA_REQUIRED = False
    return settings
