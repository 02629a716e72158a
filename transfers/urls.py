from django.urls import path

from transfers import printing, views
from transfers.left import views as left_views

app_name = "transfers"
urlpatterns = [
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/new/", views.transfer_start, name="transfer_start"),
    path("transfers/<int:request_id>/arrive/", views.transfer_arrive, name="transfer_arrive"),
    path("transfers/<int:request_id>/application.pdf", printing.transfer_application_pdf, name="transfer_application_pdf"),
    path("transfers/<int:request_id>/letter.pdf", printing.transfer_letter_pdf, name="transfer_letter_pdf"),
    path("pupils/<int:pupil_id>/requests/<slug:kind>/new/", views.pupil_request_start, name="pupil_request_start"),
    # The sending school's copies of its pupils who left (2025 办法 第十五条).
    path("pupils/left/", left_views.left_list, name="left_list"),
    path("pupils/left/<int:copy_id>/", left_views.left_detail, name="left_detail"),
]
