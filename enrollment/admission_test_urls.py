"""The site's URLs plus the admission list's, for tests until they are wired into xueji/urls.py
(then this module goes)."""

from django.urls import include, path

from xueji.urls import handler400, handler403, handler404, handler500  # noqa: F401
from xueji.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("", include("enrollment.admission_urls")),
    path("api/v1/", include("enrollment.admission_api_urls")),
    *site_urlpatterns,
]
