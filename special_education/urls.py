from django.urls import path

from special_education import printing, views

app_name = "special_education"
urlpatterns = [
    path("grade-downs/", views.grade_down_list, name="grade_down_list"),
    path("pupils/<int:pupil_id>/grade-down/new/", views.grade_down_pupil_start, name="grade_down_pupil_start"),
    path("grade-downs/requests/<int:request_id>/form.pdf", printing.request_form, name="grade_down_request_form"),
]
