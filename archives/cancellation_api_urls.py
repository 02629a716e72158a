from rest_framework.routers import SimpleRouter

from archives.cancellation_api import CancellationViewSet

router = SimpleRouter()
router.register("cancellations", CancellationViewSet, basename="api-cancellation")
urlpatterns = router.urls
