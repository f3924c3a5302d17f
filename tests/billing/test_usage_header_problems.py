"""Issue 21 item 11: a usage file with several unknown columns names each and lists the
expected columns once (billing/usage/validation.py)."""

import pytest

from billing.usage.validation import USAGE_CSV_HEADERS, FileProblem, header_names


def test_unknown_columns_are_each_named_and_the_expected_list_given_once():
    header = [("Qty" if h == "Quantity" else h) for h in USAGE_CSV_HEADERS] + ["Foo", "Bar"]
    with pytest.raises(FileProblem) as raised:
        header_names(header)
    messages = [p["message"] for p in raised.value.errors]
    assert "Unknown column “Qty”." in messages and "Unknown column “Foo”." in messages
    expected = [m for m in messages if "Expected Partner Center's usage columns" in m]
    assert len(expected) == 1
    assert sum(m.count(USAGE_CSV_HEADERS[0]) for m in messages) == 1
