from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/do/<slug:name>/", views.case_transition, name="transition"),
    path("<int:pk>/comment/", views.case_comment, name="comment"),
    path("<int:pk>/evidence/", views.case_evidence, name="evidence"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
]
