"""What the Partner Center gateway adds to the portal frame (portal/frame.py)."""

from django.urls import reverse

from partner_center.auth import has_refresh_token
from portal.frame import Queue


def ops_queues() -> list[Queue]:
    return [
        Queue(
            "Partner Center connection",
            reverse("partner_center_ops:connection"),
            note="connected"
            if has_refresh_token()
            else "not connected: consent needed for App+User tokens",
        )
    ]
