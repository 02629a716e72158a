from rest_framework.routers import SimpleRouter

from transfers.api import TransferViewSet

app_name = "transfers_api"
router = SimpleRouter()
router.register("transfers", TransferViewSet, basename="api-transfer")
urlpatterns = router.urls
