from django.urls import path
from rest_framework.routers import SimpleRouter

from special_education.api import GradeDownViewSet

app_name = "special_education_api"
router = SimpleRouter()
router.register("grade-downs", GradeDownViewSet, basename="api-grade-down")
# The form is a file named like one (…/form.pdf, no trailing slash), which the router would not
# give: its path is written out, served by the viewset's form_pdf.
urlpatterns = [
    *router.urls,
    path("grade-downs/<int:pk>/form.pdf", GradeDownViewSet.as_view({"get": "form_pdf"}), name="api-grade-down-form-pdf"),
]
