from portal import frame


class PartnerCenterConfig(frame.PortalApp):
    name = "partner_center"
    verbose_name = "Partner Center gateway"
    ops_queues = "partner_center.hooks.ops_queues"
