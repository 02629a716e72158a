from django.urls import path

from cancellation import printing as cancellation_printing
from cancellation import views

app_name = "cancellation"
urlpatterns = [
    path("cancellations/", views.cancellation_list, name="cancellation_list"),
    path("pupils/<int:pupil_id>/cancellation/new/", views.cancellation_pupil_start, name="cancellation_pupil_start"),
    path("cancellations/requests/<int:request_id>/form.pdf", cancellation_printing.request_form,
         name="cancellation_request_form"),
]
