from django.urls import path

from archives import cancellation_printing, cancellation_views as views

urlpatterns = [
    path("cancellations/", views.cancellation_list, name="cancellation_list"),
    path("pupils/<int:pupil_id>/cancellation/new/", views.cancellation_pupil_start, name="cancellation_pupil_start"),
    path("cancellations/requests/<int:request_id>/form.pdf", cancellation_printing.request_form,
         name="cancellation_request_form"),
]
