"""Links a customer receives: signed MCA click-through and customer-portal links, and the
end-customer relationship link of Microsoft's admin center. No queries."""

from datetime import timedelta

from django.conf import settings
from django.core import signing

from programs import links as program_links
from programs.defaults import END_CUSTOMER_TEMPLATE
from programs.selectors import link_values

MCA_SALT = "customers.mca-link"
PORTAL_SALT = "customers.portal-link"


class LinkInvalid(Exception):
    """The signature does not match: the link was altered or cut short."""


class LinkExpired(Exception):
    pass


def relationship_link(reseller) -> str:
    """The end-customer relationship request of DESIGN.md with this reseller's IDs; empty while
    the reseller has not entered its Partner ID and tenant ID. DAP=false always: Microsoft
    retired delegated admin privileges; admin access is a GDAP relationship of its own."""
    values = link_values(reseller) | {"dap": "false"}
    return program_links.fill(END_CUSTOMER_TEMPLATE, values) or ""


def mca_token(invitation) -> str:
    return signing.dumps(
        {"i": invitation.pk, "c": invitation.customer_id, "n": str(invitation.nonce)}, salt=MCA_SALT
    )


def portal_token(customer) -> str:
    return signing.dumps({"c": customer.pk, "k": str(customer.portal_key)}, salt=PORTAL_SALT)


def _load(token: str, salt: str, days: int) -> dict:
    try:
        return signing.loads(token, salt=salt, max_age=timedelta(days=days))
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc


def read_mca_token(token: str) -> dict:
    return _load(token, MCA_SALT, settings.MCA_LINK_MAX_AGE_DAYS)


def read_portal_token(token: str) -> dict:
    return _load(token, PORTAL_SALT, settings.CUSTOMER_PORTAL_LINK_MAX_AGE_DAYS)
