"""SKUs of the demo catalog; the `catalog` and `onboard` fixtures live in tests/conftest.py."""

PREMIUM = "CFQ7TTC0LCHC:0002"
BASIC = "CFQ7TTC0LH18:0001"
E3 = "CFQ7TTC0LFLX:0001"
PERPETUAL = "DG7GMGF0PWBF:0002"
RESERVED = "DZH318Z0BQ3Q:006B"
AZURE_PLAN = "DZH318Z0BPS6:0001"


def buy_now(**kwargs):
    """Order a subscription and provision it at once, as the Celery task does after commit."""
    from subscriptions import services

    order = services.subscription_purchase(**kwargs)
    return services.subscription_provision(subscription_id=order.pk)


class DownGateway:
    """Partner Center unreachable (an external system, so standing in for it is fair)."""

    def _down(self, *args, **kwargs):
        from partner_center.errors import Unavailable

        raise Unavailable("Partner Center did not answer within 30 s.")

    create_order = change_term = _down
