from django.urls import path
from rest_framework.routers import SimpleRouter

from changes.api import CorrectionView, InfoChangeViewSet

app_name = "changes_api"
router = SimpleRouter()
router.register("changes", InfoChangeViewSet, basename="api-info-change")
urlpatterns = [*router.urls, path("corrections/", CorrectionView.as_view(), name="api-correction")]
