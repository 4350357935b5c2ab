from django.apps import AppConfig


class PlanConfig(AppConfig):
    name = "coact.plan"
    label = "plan"
    verbose_name = "Action plan and progress"

    def ready(self) -> None:
        from coact.core.audit import track

        from . import models

        for model in (
            models.Plan,
            models.Goal,
            models.Task,
            models.Indicator,
            models.Observation,
            models.StatusOverride,
            models.TaskReport,
        ):
            track(model)
