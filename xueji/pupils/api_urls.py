from rest_framework.routers import SimpleRouter

from xueji.pupils import api

app_name = "pupils_api"
router = SimpleRouter()
router.register("pupils", api.PupilViewSet, basename="api-pupil")
urlpatterns = router.urls
