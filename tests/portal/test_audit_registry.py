"""Every audit action the services write is registered in portal/audit.py ACTIONS with the
phrase the activity pages show (a static scan of the source, dynamic verbs included)."""

import re
from pathlib import Path

from django.conf import settings

from portal.audit import ACTIONS, phrase

PACKAGES = (
    "portal",
    "webhooks",
    "partner_center",
    "programs",
    "customers",
    "subscriptions",
    "support",
    "billing",
    "api",
)
LITERAL = re.compile(r'action=\(?"([a-z_]+\.[a-z_]+\.[a-z_]+)"')
IN_CALL = re.compile(r'(?:action=|audit\([^)]*?)"([a-z_]+\.[a-z_]+\.[a-z_]+)"')
# prefixes completed at run time by a verb passed to a helper: (prefix, helper's call pattern)
DYNAMIC = {
    "subscriptions.subscription.": ("subscriptions/services.py", r'_audit\([^"]*"([a-z_]+)"'),
    "subscriptions.transfer.": ("subscriptions/transfers/services.py", r'_audit\([^"]*"([a-z_]+)"'),
    "webhooks.endpoint.": ("webhooks/services.py", r'_audit\([^"]*"([a-z_]+)"'),
}


def _source() -> dict[str, str]:
    root = Path(settings.BASE_DIR)
    return {
        str(p.relative_to(root)): p.read_text()
        for package in PACKAGES
        for p in (root / package).rglob("*.py")
        if "migrations" not in p.parts
    }


def test_every_action_written_by_the_code_is_registered():
    source = _source()
    written = {
        m
        for text in source.values()
        for pattern in (LITERAL, IN_CALL)
        for m in pattern.findall(text)
    }
    written |= {
        m
        for text in source.values()
        for m in re.findall(r'else "([a-z_]+\.[a-z_]+\.[a-z_]+)"', text)
    }
    for prefix, (path, pattern) in DYNAMIC.items():
        written |= {prefix + verb for verb in re.findall(pattern, source[path])}
    missing = sorted(a for a in written if a not in ACTIONS)
    assert not missing, f"register in portal/audit.py ACTIONS: {missing}"


def test_an_action_reads_as_a_phrase():
    assert phrase("customers.mca.sent") == "sent the MCA link to"
    assert phrase("admin.reseller.changed") == "changed in the admin"
