from portal import frame


class BillingConfig(frame.PortalApp):
    name = "billing"
    submodels = ("usage",)
    dashboard_widgets = "billing.reports.dashboard.dashboard_widgets"
    ops_queues = "billing.hooks.ops_queues"
    demo = "billing.demo.seed"
