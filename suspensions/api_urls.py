from rest_framework.routers import SimpleRouter

from suspensions.api import DeferralViewSet, ResumptionViewSet, SuspensionViewSet

router = SimpleRouter()
router.register("suspensions", SuspensionViewSet, basename="api-suspension")
router.register("resumptions", ResumptionViewSet, basename="api-resumption")
router.register("deferrals", DeferralViewSet, basename="api-deferral")
urlpatterns = router.urls
