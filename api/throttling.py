from rest_framework.throttling import SimpleRateThrottle


class KeyRateThrottle(SimpleRateThrottle):
    """One rate per API key (settings API_RATE_LIMIT), counted in the cache (Redis in
    production); over it the answer is 429 with Retry-After."""

    scope = "api_key"

    def get_rate(self):
        from django.conf import settings

        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
