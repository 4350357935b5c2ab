from django.urls import path

from . import views

app_name = "rectification"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("problems.xlsx", views.export_problems, name="export_problems"),
    path("ledger.xlsx", views.export_ledger, name="export_ledger"),
]
