from django.urls import path
from rest_framework.routers import SimpleRouter

from xueji.approvals import api

app_name = "approvals_api"
router = SimpleRouter()
router.register("requests", api.RequestViewSet, basename="api-request")
urlpatterns = [
    path("inbox/", api.InboxView.as_view(), name="api-inbox"),
    *router.urls,
]
