from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = "Portal core"

    def ready(self):
        from celery import signals

        from portal import observability

        observability.connect_celery_signals()
        signals.worker_ready.connect(
            observability.start_worker_metrics_server,
            weak=False,
            dispatch_uid="portal-worker-metrics",
        )


class PortalAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "portal.admin_site.PortalAdminSite"
