from django.urls import path
from rest_framework.routers import SimpleRouter

from changes.api import CorrectionView, InfoChangeViewSet

app_name = "changes_api"
router = SimpleRouter()
router.register("changes", InfoChangeViewSet, basename="api-info-change")
# The form is a file named like one (…/form.pdf), written out as the cancellations' is.
urlpatterns = [
    *router.urls,
    path("corrections/", CorrectionView.as_view(), name="api-correction"),
    path("changes/<int:pk>/form.pdf", InfoChangeViewSet.as_view({"get": "form_pdf"}), name="api-info-change-form-pdf"),
]
