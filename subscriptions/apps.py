from portal import frame


class SubscriptionsConfig(frame.PortalApp):
    name = "subscriptions"
    submodels = ("catalog", "transfers", "insight")
    dashboard_widgets = "subscriptions.hooks.dashboard_widgets"
    ops_queues = "subscriptions.hooks.ops_queues"
    customer_context = "subscriptions.hooks.customer_context"
    customer_portal_context = "subscriptions.hooks.customer_portal_context"
    demo = "subscriptions.demo.seed"
