from rest_framework.routers import SimpleRouter

from dropouts.api import DropoutCaseViewSet

router = SimpleRouter()
router.register("dropouts", DropoutCaseViewSet, basename="api-dropout")
urlpatterns = router.urls
