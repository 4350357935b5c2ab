from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.public_new, name="new"),
    path("track/", views.track, name="track"),
    path("import/", views.import_hotline, name="import"),
    path("reply-sheet.xlsx", views.reply_sheet, name="reply_sheet"),
    path("follow-ups/<int:pk>/", views.record_follow_up, name="follow_up"),
    path("<int:pk>/merge/", views.merge, name="merge"),
]
