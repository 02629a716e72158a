from django.urls import path

from suspensions import views

urlpatterns = [
    path("suspensions/", views.suspension_list, name="suspension_list"),
    path("pupils/<int:pupil_id>/suspensions/<slug:kind>/new/", views.suspension_pupil_start, name="suspension_pupil_start"),
]
