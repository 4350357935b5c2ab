from django.apps import AppConfig


class EmissionsConfig(AppConfig):
    name = "coact.emissions"
    label = "emissions"
    verbose_name = "Emission scenarios and co-control"

    def ready(self) -> None:
        from coact.core.audit import track

        from . import models

        # The scenario document and results are large JSON; the audit keeps who/when/state.
        track(models.Inventory, exclude_fields=["rows"])
        track(models.Scenario, exclude_fields=["document", "results"])
