from portal import frame


class SupportConfig(frame.PortalApp):
    name = "support"
    dashboard_widgets = "support.hooks.dashboard_widgets"
    ops_queues = "support.hooks.ops_queues"
    customer_context = "support.hooks.customer_context"
    customer_portal_context = "support.hooks.customer_portal_context"
    help_context = "support.hooks.help_context"
    demo = "support.demo.seed"
