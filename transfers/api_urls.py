from rest_framework.routers import SimpleRouter

from transfers.api import TransferViewSet
from transfers.left.api import LeftPupilViewSet

app_name = "transfers_api"
router = SimpleRouter()
router.register("transfers", TransferViewSet, basename="api-transfer")
# Before the pupils' API in xueji/urls.py (APIS): /api/v1/pupils/left/ is not a pupil's id.
router.register("pupils/left", LeftPupilViewSet, basename="api-left-pupil")
urlpatterns = router.urls
