from django.urls import path
from rest_framework.routers import SimpleRouter

from cancellation.api import CancellationViewSet

app_name = "cancellation_api"
router = SimpleRouter()
router.register("cancellations", CancellationViewSet, basename="api-cancellation")
# The form is a file named like one (…/form.pdf, no trailing slash), which the router would not
# give: its path is written out, served by the viewset's form_pdf.
urlpatterns = [
    *router.urls,
    path("cancellations/<int:pk>/form.pdf", CancellationViewSet.as_view({"get": "form_pdf"}),
         name="api-cancellation-form-pdf"),
]
