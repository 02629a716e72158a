from django.urls import path

from xueji.accounts import api

app_name = "accounts_api"
urlpatterns = [
    path("auth/token/", api.ObtainTokenView.as_view(), name="api-token"),
    path("auth/logout/", api.LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", api.LogoutAllView.as_view(), name="api-logout-all"),
]
