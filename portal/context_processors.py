import functools

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse

from portal import selectors
from portal.roles import role_can

# Sections of the reseller portal; a section appears once its app provides the page.
NAVIGATION = (
    ("Dashboard", "dashboard"),
    ("Programs", "programs:list"),
    ("Customers", "customers:list"),
    ("Subscriptions", "subscriptions:list"),
    ("Catalog", "subscriptions:catalog"),
    ("Billing", "billing:home"),
    ("Support", "support:home"),
)
# Microsoft Learn: moving from CSP direct-bill partner to indirect reseller (the distributor's
# resellers coming from direct bill follow it).
TRANSITION_GUIDE = "https://learn.microsoft.com/en-us/partner-center/transition-direct-to-indirect"
HELP_LINKS = (
    ("Help and how-to", "help"),
    ("Contact the distributor's support", "support:contact"),
    ("Open a ticket", "support:ticket_create"),
    ("From direct bill to indirect reseller (Microsoft Learn)", TRANSITION_GUIDE),
)


@functools.lru_cache(maxsize=16)
def _reversed(items: tuple, resolver, prefix: str) -> tuple:
    """(label, url, name) of the items whose page exists: reversed once per URL configuration
    (its resolver: a new one after `clear_url_caches`) and script prefix, not at every page."""
    out = []
    for label, name in items:
        if name.startswith("https://"):
            out.append((label, name, name))
            continue
        try:
            out.append((label, reverse(name), name))
        except NoReverseMatch:
            continue
    return tuple(out)


def _resolved(items, request):
    """(label, url, active) for the items whose page exists. The item naming the current view
    is active; failing that, the first item of the current view's app."""
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    namespace = match.namespace if match else ""
    out = _reversed(tuple(items), get_resolver(get_urlconf()), get_script_prefix())
    exact = any(name == view_name for _, _, name in out)
    first_of_app = next(
        (name for _, _, name in out if namespace and name.split(":")[0] == namespace), None
    )
    active = view_name if exact else first_of_app
    return [(label, url, name == active) for label, url, name in out]


def portal(request):
    member = getattr(request, "membership", None)
    ctx = {
        "nav_items": _resolved(NAVIGATION, request) if member else [],
        "help_links": _resolved(HELP_LINKS, request),
        "member": member,
        "current_reseller": getattr(request, "reseller", None),
        "memberships": getattr(request, "memberships", []),
    }
    if member:
        # a view that counted them already (the dashboard, with its other counts) left the
        # number on the request
        unread = getattr(request, "unread_notifications", None)
        ctx["unread_notifications"] = (
            selectors.unread_notification_count(member) if unread is None else unread
        )
        ctx["can"] = {
            action.replace(".", "_"): role_can(member.role, action)
            for action in (
                "reseller.edit_profile",
                "members.manage",
                "audit.view",
                "programs.request",
                "customers.edit",
                "orders.place",
                "billing.view_money",
                "tickets.open",
                "webhooks.manage",
            )
        }
    return ctx
