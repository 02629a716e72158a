from django.urls import path

from suspensions import printing, views

app_name = "suspensions"
urlpatterns = [
    path("suspensions/", views.suspension_list, name="suspension_list"),
    path("suspensions/limbo/", views.suspension_limbo, name="suspension_limbo"),
    path("pupils/<int:pupil_id>/suspensions/reminders/", views.suspension_pupil_reminders, name="suspension_pupil_reminders"),
    path("pupils/<int:pupil_id>/suspensions/<slug:kind>/new/", views.suspension_pupil_start, name="suspension_pupil_start"),
    path("suspensions/requests/<int:request_id>/form.pdf", printing.request_form,
         name="suspension_request_form"),
]
