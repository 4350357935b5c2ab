from django.urls import path

from . import views

app_name = "emissions"
urlpatterns = [
    path("", views.scenario_list, name="list"),
    path("scenarios/<int:pk>/", views.scenario_detail, name="scenario"),
    path("scenarios/<int:pk>/edit/", views.scenario_edit, name="edit"),
    path("scenarios/<int:pk>/run/", views.scenario_run, name="run"),
    path("scenarios/<int:pk>/delete/", views.scenario_delete, name="delete"),
    path("scenarios/<int:pk>/publish/", views.scenario_publish, name="publish"),
    path("scenarios/<int:pk>/results/", views.scenario_results, name="results"),
    path("scenarios/<int:pk>/optimise/", views.scenario_optimise, name="optimise"),
    path("compare/", views.compare, name="compare"),
    path("inventories/", views.inventories, name="inventories"),
]
