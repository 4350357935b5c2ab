from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "coact.web"
    label = "web"
    verbose_name = "CoAct pages"
