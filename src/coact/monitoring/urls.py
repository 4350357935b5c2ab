from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("", views.outlet_list, name="outlets"),
    path("outlets/<int:pk>/", views.outlet_detail, name="outlet"),
    path("alarms/", views.alarm_list, name="alarms"),
    path("quarantine/", views.quarantine_list, name="quarantine"),
    path("registry/", views.registry_page, name="registry"),
    path("registry/template.xlsx", views.registry_template, name="registry_template"),
]
