from django.urls import path

from . import views

app_name = "air"
urlpatterns = [
    path("", views.city_dashboard, name="city"),
    path("stations/<str:code>/", views.station_dashboard, name="station"),
    path("import/", views.import_page, name="import"),
]
