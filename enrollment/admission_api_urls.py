"""The admission list's API; included under /api/v1/."""

from django.urls import path

from enrollment.admission import api

urlpatterns = [
    path("enrollment/admissions/", api.AdmissionListView.as_view(), name="api-admission-list"),
    path("enrollment/admissions/import/", api.AdmissionImportView.as_view(), name="api-admission-import"),
    path("enrollment/consistency/", api.ConsistencyView.as_view(), name="api-admission-consistency"),
]
