"""URLs of the whole site: each package of the core and each app includes its pages once and its
API once, each under its own namespace (``transfers:transfer_start``, ``transfers_api:…``). Every
page and endpoint here is in the scoping matrix (tests/test_scoping_matrix.py), which fails when a
new one is not."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from xueji.accounts import views as account_views

# The core's packages and the apps, in the order their pages are tried.
PAGES = [
    "xueji.web", "xueji.accounts", "xueji.pupils", "xueji.photos", "xueji.documents", "xueji.approvals",
    "xueji.exports", "transfers", "archives", "enrollment", "suspensions", "dropouts", "cancellation", "changes", "schoolyear",
    "special_education", "reports",
]
APIS = [
    "xueji.accounts", "xueji.approvals", "xueji.documents", "xueji.exports", "xueji.photos",
    "transfers", "enrollment", "suspensions", "cancellation", "archives", "changes", "dropouts", "schoolyear",
    "special_education", "reports", "xueji.pupils",
]

urlpatterns = [
    *(path("", include(f"{package}.urls")) for package in PAGES),
    # The admin signs in through the login page, with its lockout and audit.
    path("admin/login/", account_views.admin_login_redirect),
    path("admin/", admin.site.urls),
    *(path("api/v1/", include(f"{package}.api_urls")) for package in APIS),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI loads its start script from its own address (?script), not inline; its page has
    # a <style> element of drf-spectacular's, allowed on this address only (issue 12).
    path("api/docs/", csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
]

handler400 = "xueji.web.views.error_400"
handler403 = "xueji.web.views.error_403"
handler404 = "xueji.web.views.error_404"
handler500 = "xueji.web.views.error_500"
