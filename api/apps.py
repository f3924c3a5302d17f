from portal import frame


class ApiConfig(frame.PortalApp):
    """REST API (/api/v1/) and webhooks: the top layer, calling the apps' services and
    selectors like the pages do. No app imports it."""

    name = "api"
    verbose_name = "API"
    # the `data` of webhook events: the API's serializers (webhooks/events.py)
    webhook_payloads = "api.webhooks.PAYLOADS"
