from django.apps import AppConfig


class ForecastConfig(AppConfig):
    name = "coact.forecast"
    label = "forecast"
    verbose_name = "Ozone forecast and emergency lists"

    def ready(self) -> None:
        from coact.core.audit import track

        from . import models

        for model in (
            models.ForecastModel,
            models.ForecastRun,
            models.ForecastDay,
            models.Backtest,
            models.EmergencyMeasure,
        ):
            track(model)
