from django.urls import path

from transfers import views

app_name = "transfers"
urlpatterns = [
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/new/", views.transfer_start, name="transfer_start"),
    path("transfers/<int:request_id>/arrive/", views.transfer_arrive, name="transfer_arrive"),
    path("pupils/<int:pupil_id>/requests/<slug:kind>/new/", views.pupil_request_start, name="pupil_request_start"),
]
