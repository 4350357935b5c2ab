from django.urls import path

from . import views

app_name = "forecast"
urlpatterns = [
    path("", views.forecast_page, name="forecast"),
    path("verification/", views.verification_page, name="verification"),
    path("backtest/", views.start_backtest, name="backtest"),
    path("measures/", views.measure_list, name="measures"),
    path("measures/<int:pk>/", views.measure_detail, name="measure"),
    path("measures/<int:pk>/delete/", views.measure_delete, name="measure_delete"),
]
