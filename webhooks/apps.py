from portal import frame


class WebhooksConfig(frame.PortalApp):
    """Events of the portal (emitted by every app's services, webhooks/events.py) delivered to
    the resellers' webhook endpoints, signed as Standard Webhooks. It sits right above the
    portal so that every app may emit; the payloads are built by the apps that name a
    `webhook_payloads` builder on their AppConfig (the API's serializers), by inversion."""

    name = "webhooks"
    verbose_name = "Webhooks"
