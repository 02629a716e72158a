"""The API of working beside the national system (included under /api/v1/)."""

from django.urls import path

from enrollment.national import api as national_api

urlpatterns = [
    path("enrollment/readiness/", national_api.ReadinessView.as_view(), name="api-national-readiness"),
    path("enrollment/national-export/", national_api.NationalExportView.as_view(), name="api-national-export"),
    path("enrollment/national-numbers/", national_api.NationalNumbersView.as_view(), name="api-national-numbers"),
]
