from django.urls import path

from changes import printing, views

app_name = "changes"
urlpatterns = [
    path("changes/", views.info_change_list, name="info_change_list"),
    path("pupils/<int:pupil_id>/changes/new/", views.info_change_start, name="info_change_start"),
    path("pupils/<int:pupil_id>/correct/", views.pupil_correct, name="pupil_correct"),
    path("changes/requests/<int:request_id>/form.pdf", printing.request_form, name="info_change_request_form"),
]
