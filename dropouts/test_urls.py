"""The site's URLs plus dropouts' for tests, until xueji/urls.py includes dropouts.urls."""

from django.urls import include, path

from xueji.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("", include("dropouts.urls")), *site_urlpatterns]
