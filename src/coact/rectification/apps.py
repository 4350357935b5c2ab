from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "coact.rectification"
    label = "rectification"
    verbose_name = "Problem rectification"

    def ready(self) -> None:
        from coact.cases import services as cases
        from coact.core.audit import track

        from . import models, services, views

        for model in (models.Problem, models.RectificationPlan, models.Milestone):
            track(model)
        cases.register_hooks(
            "rectification",
            after_transition=services.on_case_transition,
            validate=services.validate_transition,
            extra_fields=services.EXTRA_FIELDS,
            panel_template="rectification/_panel.html",
            panel_context=views.panel_context,
        )
