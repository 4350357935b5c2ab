from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "coact.monitoring"
    label = "monitoring"
    verbose_name = "Online monitoring (HJ 212)"

    def ready(self) -> None:
        from coact.core.audit import track

        from . import models

        # Reading and RawPacket are written in batches with SQL by the gateway (no signals
        # fire): registering them keeps the rule uniform and covers manual corrections.
        for model in (
            models.Outlet,
            models.MonitoredFactor,
            models.Limit,
            models.QuarantineEntry,
            models.Alarm,
            models.Delivery,
            models.Reading,
        ):
            track(model)
        track(models.Device, exclude_fields=["password", "sm4_key", "last_seen", "last_peer"])
        track(models.Subscription, exclude_fields=["secret"])
        track(models.RawPacket, exclude_fields=["data"])
