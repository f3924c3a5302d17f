from portal import frame


class CustomersConfig(frame.PortalApp):
    name = "customers"
    submodels = ("gdap",)
    dashboard_widgets = "customers.hooks.dashboard_widgets"
    ops_queues = "customers.hooks.ops_queues"
    demo = "customers.demo.seed"
