from rest_framework.routers import SimpleRouter

from dropouts.api import DropoutCaseViewSet

app_name = "dropouts_api"
router = SimpleRouter()
router.register("dropouts", DropoutCaseViewSet, basename="api-dropout")
urlpatterns = router.urls
