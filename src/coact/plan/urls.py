from django.urls import path

from . import views

app_name = "plan"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("public/", views.public_dashboard, name="public"),
    path("tasks/", views.task_board, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/<int:pk>/", views.indicator_detail, name="indicator"),
    path("indicators/<int:pk>/override/", views.indicator_override, name="override"),
    path("approvals/", views.approvals, name="approvals"),
    path("observations/<int:pk>/review/", views.review_observation, name="review_observation"),
    path("reports/<int:pk>/review/", views.review_report, name="review_report"),
    path("workbook/", views.workbook, name="workbook"),
    path("assessment/", views.assessment_view, name="assessment"),
    path("export.xlsx", views.export_board, name="export"),
]
