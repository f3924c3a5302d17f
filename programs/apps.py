from portal import frame


class ProgramsConfig(frame.PortalApp):
    name = "programs"
    dashboard_widgets = "programs.hooks.dashboard_widgets"
    ops_queues = "programs.hooks.ops_queues"
    demo = "programs.demo.seed"
