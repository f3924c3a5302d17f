from django.conf import settings
from django_scopes import scope, scopes_disabled

from portal import selectors

SESSION_RESELLER_KEY = "active_reseller_id"


def _pick_membership(request, memberships):
    wanted = request.session.get(SESSION_RESELLER_KEY)
    for m in memberships:
        if m.reseller_id == wanted:
            return m
    return memberships[0] if memberships else None


class TenantScopeMiddleware:
    """Activate the django-scopes scope of the signed-in member's reseller for the request.

    Staff get `scopes_disabled()` only on the admin and operations pages. Everyone else,
    including anonymous visitors, runs in a scope: a user without a reseller sees nothing
    reseller-owned.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.unscoped_prefixes = (f"/{settings.ADMIN_URL}", "/ops/")

    def __call__(self, request):
        request.memberships = []
        request.membership = None
        request.reseller = None
        user = request.user
        if user.is_authenticated:
            request.memberships = selectors.memberships_for_user(user)
            request.membership = _pick_membership(request, request.memberships)
            request.reseller = request.membership.reseller if request.membership else None
            if user.is_staff and request.path.startswith(self.unscoped_prefixes):
                with scopes_disabled():
                    return self.get_response(request)
        # An empty list matches no reseller (django-scopes treats None as "no filter").
        with scope(reseller=request.reseller or []):
            return self.get_response(request)
