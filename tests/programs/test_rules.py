import datetime as dt

import pytest

from programs import links, rules

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("partner_id", "mpa", "missing"),
    [
        ("1234567", dt.date(2024, 1, 1), []),
        ("123456", TODAY, []),
        ("1234567890", TODAY, []),
        (None, dt.date(2024, 1, 1), ["MPN/Partner ID"]),
        ("12345", dt.date(2024, 1, 1), ["a valid MPN/Partner ID (6 to 10 digits)"]),
        ("12345678901", dt.date(2024, 1, 1), ["a valid MPN/Partner ID (6 to 10 digits)"]),
        ("12a4567", dt.date(2024, 1, 1), ["a valid MPN/Partner ID (6 to 10 digits)"]),
        ("1234567", None, ["the date you accepted the Microsoft Partner Agreement"]),
        (
            "1234567",
            TODAY + dt.timedelta(days=1),
            ["a Microsoft Partner Agreement date that is not in the future"],
        ),
        (None, None, ["MPN/Partner ID", "the date you accepted the Microsoft Partner Agreement"]),
    ],
)
def test_missing_prerequisites(partner_id, mpa, missing):
    assert (
        rules.missing_prerequisites(
            partner_id=partner_id, mpa_accepted_on=mpa, today=TODAY, partner_id_verified=True
        )
        == missing
    )


def test_an_unverified_partner_id_is_missing_its_verification():
    assert rules.missing_prerequisites(
        partner_id="1234567", mpa_accepted_on=TODAY, today=TODAY, partner_id_verified=False
    ) == ["the verification of your MPN/Partner ID by operations"]


BASE = "Microsoft Azure Reseller Program"


@pytest.mark.parametrize(
    ("status", "current", "prereq", "prereq_state", "expected"),
    [
        ("available", None, None, None, None),
        ("available", None, BASE, "approved", None),
        ("available", "pending", None, None, "already pending"),
        ("available", "approved", None, None, "already approved"),
        ("available", None, BASE, None, f"{BASE} must be approved"),
        ("available", None, BASE, "pending", f"{BASE} must be approved"),
        ("available", None, BASE, "rejected", f"{BASE} must be approved"),
        ("sunset", None, None, None, "is sunset: Gone."),
        ("unsupported", None, None, None, "is not supported: Gone."),
    ],
)
def test_request_refusal(status, current, prereq, prereq_state, expected):
    label = {"available": "Available", "sunset": "Sunset", "unsupported": "Not supported"}
    refusal = rules.request_refusal(
        status=status,
        status_label=label[status],
        reason="Gone.",
        name="X",
        current_state=current,
        prerequisite=prereq,
        prerequisite_state=prereq_state,
    )
    if expected is None:
        assert refusal is None
    else:
        assert expected in refusal


def test_link_fill_quotes_values_and_needs_every_placeholder():
    template = "https://x.test/?p={providerTenantId}&m={resellerPartnerId}&DAP={dap}#/a"
    values = {"providerTenantId": "aa-bb", "resellerPartnerId": "1234567", "dap": "false"}
    assert links.fill(template, values) == "https://x.test/?p=aa-bb&m=1234567&DAP=false#/a"
    assert links.fill(template, values | {"resellerPartnerId": None}) is None
    assert links.missing_values(template, values | {"resellerPartnerId": ""}) == [
        "resellerPartnerId"
    ]
    assert links.fill(template, values | {"dap": "a&b"}).endswith("DAP=a%26b#/a")
    assert links.unknown_placeholders("https://x.test/{tenant}/{dap}") == ["tenant"]
    assert links.unknown_placeholders("https://x.test/{oops") == ["(unbalanced braces)"]
