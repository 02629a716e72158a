"""Pages of working beside the national system (included at the site root)."""

from django.urls import path

from enrollment.national import views as national_views

urlpatterns = [
    path("national/readiness/", national_views.national_readiness, name="national_readiness"),
    path("national/export/", national_views.national_export, name="national_export"),
    path("national/numbers/", national_views.national_numbers_import, name="national_numbers_import"),
]
