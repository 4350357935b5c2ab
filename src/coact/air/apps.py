from django.apps import AppConfig


class AirConfig(AppConfig):
    name = "coact.air"
    label = "air"
    verbose_name = "Ambient air quality"

    def ready(self) -> None:
        from coact.core.audit import track

        from . import models

        # Bulk imports bypass model signals: changed values are recorded as Correction rows.
        for model in (
            models.Station,
            models.HourlyValue,
            models.DailyValue,
            models.ImportBatch,
            models.Correction,
        ):
            track(model)
