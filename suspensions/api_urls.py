from django.urls import path
from rest_framework.routers import SimpleRouter

from suspensions.api import DeferralViewSet, ResumptionViewSet, SuspensionViewSet

app_name = "suspensions_api"
router = SimpleRouter()
router.register("suspensions", SuspensionViewSet, basename="api-suspension")
router.register("resumptions", ResumptionViewSet, basename="api-resumption")
router.register("deferrals", DeferralViewSet, basename="api-deferral")
# The forms are files named like files (…/form.pdf, no trailing slash), which the router would
# not give: their paths are written out, each served by its viewset's form_pdf.
FORM = {"get": "form_pdf"}
urlpatterns = [
    *router.urls,
    path("suspensions/<int:pk>/form.pdf", SuspensionViewSet.as_view(FORM), name="api-suspension-form-pdf"),
    path("resumptions/<int:pk>/form.pdf", ResumptionViewSet.as_view(FORM), name="api-resumption-form-pdf"),
    path("deferrals/<int:pk>/form.pdf", DeferralViewSet.as_view(FORM), name="api-deferral-form-pdf"),
]
