from django.urls import path
from rest_framework.routers import SimpleRouter

from transfers.api import TransferViewSet
from transfers.left.api import LeftPupilViewSet

app_name = "transfers_api"
router = SimpleRouter()
router.register("transfers", TransferViewSet, basename="api-transfer")
# Before the pupils' API in xueji/urls.py (APIS): /api/v1/pupils/left/ is not a pupil's id.
router.register("pupils/left", LeftPupilViewSet, basename="api-left-pupil")
# The papers are files named like files (…/application.pdf, no trailing slash), which the router
# would not give: their paths are written out (as suspensions/api_urls.py does).
urlpatterns = [
    *router.urls,
    path("transfers/<int:pk>/application.pdf", TransferViewSet.as_view({"get": "application_pdf"}),
         name="api-transfer-application-pdf"),
    path("transfers/<int:pk>/letter.pdf", TransferViewSet.as_view({"get": "letter_pdf"}), name="api-transfer-letter-pdf"),
]
