from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "coact.cases"
    label = "cases"
    verbose_name = "Closed-loop cases"

    def ready(self) -> None:
        from coact.core.audit import track

        from . import models

        track(models.Case, exclude_fields=["updated_at", "version"])
        for model in (models.CaseUpdate, models.Evidence, models.CaseLink):
            track(model)
