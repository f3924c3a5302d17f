"""Which programs a reseller may request. Pure rules, no I/O (unit-tested with tables)."""

import datetime as dt
import re

PARTNER_ID = re.compile(r"^\d{6,10}$")


def missing_prerequisites(
    *,
    partner_id: str | None,
    mpa_accepted_on: dt.date | None,
    today: dt.date,
    partner_id_verified: bool,
) -> list[str]:
    """What the partner profile still lacks before any program may be requested."""
    missing = []
    if not partner_id:
        missing.append("MPN/Partner ID")
    elif not PARTNER_ID.match(partner_id):
        missing.append("a valid MPN/Partner ID (6 to 10 digits)")
    elif not partner_id_verified:
        missing.append("the verification of your MPN/Partner ID by operations")
    if mpa_accepted_on is None:
        missing.append("the date you accepted the Microsoft Partner Agreement")
    elif mpa_accepted_on > today:
        missing.append("a Microsoft Partner Agreement date that is not in the future")
    return missing


def request_refusal(
    *,
    status: str,
    status_label: str,
    reason: str,
    name: str,
    current_state: str | None,
    prerequisite: str | None,
    prerequisite_state: str | None,
) -> str | None:
    """Why `name` cannot be requested now, or None if it can.

    current_state: state of this reseller's open request (pending/approved) or None;
    prerequisite: name of the required program, prerequisite_state: this reseller's state of it.
    """
    if status != "available":
        return f"{name} is {status_label.lower()}: {reason}"
    if current_state == "pending":
        return f"Your request for {name} is already pending with operations."
    if current_state == "approved":
        return f"{name} is already approved for you."
    if prerequisite and prerequisite_state != "approved":
        return f"{prerequisite} must be approved before you can request {name}."
    return None
