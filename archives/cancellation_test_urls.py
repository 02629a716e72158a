"""The project's URLs with 注销学籍's pages and API, for its tests until they are wired into
xueji/urls.py (tests/archives use ``pytest.mark.urls("archives.cancellation_test_urls")``)."""

from django.urls import include, path

urlpatterns = [
    path("", include("archives.cancellation_urls")),
    path("api/v1/", include("archives.cancellation_api_urls")),
    path("", include("xueji.urls")),
]
