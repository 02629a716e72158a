from django.urls import path
from rest_framework.routers import SimpleRouter

from changes.api import CorrectionView, InfoChangeViewSet

router = SimpleRouter()
router.register("changes", InfoChangeViewSet, basename="api-info-change")
urlpatterns = [*router.urls, path("corrections/", CorrectionView.as_view(), name="api-correction")]
