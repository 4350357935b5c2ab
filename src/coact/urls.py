from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve

from coact.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="web/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("plan/", include("coact.plan.urls")),
    path("air/", include("coact.air.urls")),
    path("emissions/", include("coact.emissions.urls")),
    path("cases/", include("coact.cases.urls")),
    path("complaints/", include("coact.complaints.urls")),
    path("rectification/", include("coact.rectification.urls")),
    path("monitoring/", include("coact.monitoring.urls")),
    path("forecast/", include("coact.forecast.urls")),
    path("open311/v2/", include("coact.complaints.open311")),
    path("", include("coact.web.urls")),
]

if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
