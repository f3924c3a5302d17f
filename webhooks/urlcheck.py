"""Where a webhook may be sent: https (http only where WEBHOOK_ALLOW_HTTP, e.g. development), to
a host whose every address is public unless WEBHOOK_ALLOW_PRIVATE_URLS — the portal must not be
a way into the distributor's own network (SSRF). Checked when an endpoint is saved and again
before each request (a name may resolve elsewhere later)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from portal.exceptions import ServiceError


def _addresses(host: str) -> list[str]:
    try:
        return [info[4][0] for info in socket.getaddrinfo(host, None)]
    except (socket.gaierror, UnicodeError):
        return []


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" and not (settings.WEBHOOK_ALLOW_HTTP and parts.scheme == "http"):
        raise ServiceError("A webhook URL must start with https://.", code="webhooks.not_https")
    host = parts.hostname or ""
    if not host:
        raise ServiceError("Enter a full URL, with its host.", code="webhooks.bad_url")
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    addresses = _addresses(host)
    if not addresses:
        raise ServiceError(f"{host} does not resolve to an address.", code="webhooks.unresolved")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise ServiceError(
                f"{host} points to a private or local address ({ip}); webhooks go to public "
                "servers only.",
                code="webhooks.private_address",
            )
