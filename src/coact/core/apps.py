from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "coact.core"
    label = "core"
    verbose_name = "CoAct core"

    def ready(self) -> None:
        from . import audit

        audit.register_core_models()
