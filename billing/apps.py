from portal import frame


class BillingConfig(frame.PortalApp):
    name = "billing"
    submodels = ("usage", "reconciliation", "insight")
    dashboard_widgets = "billing.hooks.dashboard_widgets"
    ops_queues = "billing.hooks.ops_queues"
    demo = "billing.demo.seed"
