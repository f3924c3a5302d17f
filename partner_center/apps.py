from django.apps import AppConfig


class PartnerCenterConfig(AppConfig):
    name = "partner_center"
    verbose_name = "Partner Center gateway"
