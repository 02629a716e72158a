from rest_framework.routers import SimpleRouter

from schoolyear.api import CertificateViewSet, GraduationViewSet, PromotionPlanViewSet, PromotionRunViewSet

# Path converters (<int:pk>), so that the schema types the ids as integers.
app_name = "schoolyear_api"
router = SimpleRouter(use_regex_path=False)
router.register("graduation", GraduationViewSet, basename="api-graduation")
router.register("promotion-plans", PromotionPlanViewSet, basename="api-promotion-plan")
router.register("promotion-runs", PromotionRunViewSet, basename="api-promotion-run")
router.register("certificates", CertificateViewSet, basename="api-certificate")
urlpatterns = router.urls
