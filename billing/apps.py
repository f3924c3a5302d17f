from portal import frame


class BillingConfig(frame.PortalApp):
    name = "billing"
    submodels = ("reconciliation",)
    dashboard_widgets = "billing.reports.dashboard.dashboard_widgets"
    ops_queues = "billing.hooks.ops_queues"
    demo = "billing.demo.seed"
