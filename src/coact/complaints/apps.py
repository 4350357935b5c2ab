from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "coact.complaints"
    label = "complaints"
    verbose_name = "Environmental complaints"

    def ready(self) -> None:
        from coact.cases import services as cases
        from coact.core.audit import track

        from . import models, services, views

        track(models.Complaint, exclude_fields=["access_code_hash"])
        track(models.FollowUp)
        cases.register_hooks(
            "complaint",
            after_transition=services.on_case_transition,
            panel_template="complaints/_panel.html",
            panel_context=views.panel_context,
        )
