from django.urls import path

from changes import views

app_name = "changes"
urlpatterns = [
    path("changes/", views.info_change_list, name="info_change_list"),
    path("pupils/<int:pupil_id>/changes/new/", views.info_change_start, name="info_change_start"),
    path("pupils/<int:pupil_id>/correct/", views.pupil_correct, name="pupil_correct"),
]
